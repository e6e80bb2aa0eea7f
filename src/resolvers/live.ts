import { Repeater, SlidingBuffer } from '@repeaterjs/repeater';
import type { GraphQLContext } from '../schema/context.js';
import { meetsCondition, type AlertCondition } from '../domain/alerts.js';
import { parseEvery } from '../domain/query-limits.js';
import type { MetricValue, TelemetryPoint } from '../domain/telemetry.js';
import { checkThreshold } from './alerts.js';
import { badUserInput, notFound } from './errors.js';
import { createLiveSampler } from './live-sampler.js';
import { checkMetricName, checkMetrics } from './telemetry-arguments.js';

const MAX_DEVICES_PER_SUBSCRIPTION = 100;
/**
 * Events a subscription's source holds before it executes them: the pipeline publishes a whole
 * batch at once (PIPELINE_BATCH_SIZE, 5,000 by default), so room for two. Past it the oldest are
 * dropped, which happens only when the api cannot execute events as fast as they arrive; a slow
 * client is bounded, and told what it lost, per socket in the fan-out (src/api/live-fanout.ts).
 */
const PENDING_EVENTS_PER_SOURCE = 10_000;
/** sampleEvery's bounds: a dashboard's refresh, from ten a second to once an hour. */
const MIN_SAMPLE_MS = 100;
const MAX_SAMPLE_MS = 3_600_000;

/** What a telemetry subscription asks besides its devices. */
export interface LiveTelemetryArgs {
  /** Only these metrics; a point with none of them is not sent. */
  metrics?: readonly string[] | null;
  /** Only points whose value of `metric` meets the condition. */
  where?: { metric: string; condition: AlertCondition; threshold: MetricValue } | null;
  /** At most one message per device per interval (a duration: 500ms, 1s, 1m). */
  sampleEvery?: string | null;
}

/** The checked arguments as one function from a point to what is sent of it, or nothing. */
function pointShaper(args: LiveTelemetryArgs) {
  const metrics = args.metrics == null ? undefined : new Set(checkMetrics(args.metrics));
  const where = args.where ?? undefined;
  if (where) {
    checkMetricName(where.metric, 'where.metric');
    checkThreshold(where.condition, where.threshold);
  }
  return (point: TelemetryPoint): TelemetryPoint | undefined => {
    if (where) {
      const value = point.metrics[where.metric];
      if (value === undefined || !meetsCondition(where.condition, where.threshold, value)) {
        return undefined;
      }
    }
    if (!metrics) return point;
    const kept: TelemetryPoint['metrics'] = {};
    let any = false;
    for (const [metric, value] of Object.entries(point.metrics)) {
      if (!metrics.has(metric)) continue;
      kept[metric] = value;
      any = true;
    }
    return any
      ? { orgId: point.orgId, deviceId: point.deviceId, ts: point.ts, metrics: kept }
      : undefined;
  };
}

function checkSampleEvery(sampleEvery: string | null | undefined): number | undefined {
  if (sampleEvery == null) return undefined;
  const parsed = parseEvery(sampleEvery);
  const ms = 'ms' in parsed ? parsed.ms : NaN;
  if (!(ms >= MIN_SAMPLE_MS && ms <= MAX_SAMPLE_MS)) {
    throw badUserInput(
      `sampleEvery must be a duration from 100ms to 1h, like 500ms, 1s or 1m; got ${JSON.stringify(sampleEvery.slice(0, 32))}`,
      'sampleEvery',
    );
  }
  return ms;
}

/**
 * A subscription's stream of the live hub events `listen` pushes: it listens from the first read
 * until the stream ends, then calls what `listen` returned to stop.
 */
export function liveStream<T>(
  listen: (push: (event: T) => void) => Promise<() => void>,
): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    const unlisten = await listen((event) => void push(event));
    await stop;
    unlisten();
  }, new SlidingBuffer(PENDING_EVENTS_PER_SOURCE));
}

/**
 * Checks every device before the stream starts (an unknown or foreign id fails the subscription
 * with NOT_FOUND, like a query would), then streams the live hub's points for those devices.
 */
export async function subscribeTelemetry(
  context: GraphQLContext,
  deviceIds: readonly string[],
  args: LiveTelemetryArgs = {},
): Promise<AsyncIterable<TelemetryPoint>> {
  const shape = pointShaper(args);
  const sampleMs = checkSampleEvery(args.sampleEvery);
  const ids = [...new Set(deviceIds)];
  if (ids.length === 0 || ids.length > MAX_DEVICES_PER_SUBSCRIPTION) {
    throw badUserInput(
      `deviceIds must name 1 to ${MAX_DEVICES_PER_SUBSCRIPTION} devices`,
      'deviceIds',
    );
  }
  const devices = await context.loaders.device.loadMany(ids);
  devices.forEach((device, index) => {
    if (!device || device instanceof Error) throw notFound(`device ${ids[index]}`);
  });
  const { organizationId } = context.viewer;
  return liveStream<TelemetryPoint>(async (push) => {
    const sampler = sampleMs === undefined ? undefined : createLiveSampler(sampleMs, push);
    const listener = (point: TelemetryPoint) => {
      const shaped = shape(point);
      if (!shaped) return;
      if (sampler) sampler.add(shaped);
      else push(shaped);
    };
    const unsubscribes = await Promise.all(
      ids.map((id) => context.services.live.subscribe(organizationId, id, listener)),
    );
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
      sampler?.close();
    };
  });
}
