import { Repeater, SlidingBuffer } from '@repeaterjs/repeater';
import type { GraphQLContext } from '../schema/context.js';
import { meetsCondition, type AlertCondition } from '../domain/alerts.js';
import type { MetricValue, TelemetryPoint } from '../domain/telemetry.js';
import { checkThreshold } from './alerts.js';
import { toDeviceFilter, type DeviceFilterInput } from './devices.js';
import { durationArgument } from './duration-argument.js';
import { badUserInput, forbidden } from './errors.js';
import { filteredDevices, namedDevices, type LiveDevices } from './live-devices.js';
import { createHandover, MAX_RESUMED_POINTS, readSince } from './live-resume.js';
import { releasedAtEnd } from './released-at-end.js';
import { createLiveSampler } from './live-sampler.js';
import { checkMetricName, checkMetrics } from './telemetry-arguments.js';

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
  /** The devices, named (each checked) … */
  deviceIds?: readonly string[] | null;
  /** … or matched by a filter, devices registered later included. */
  filter?: DeviceFilterInput | null;
  /** First the points stored after this time, then the live ones. */
  since?: Date | null;
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
  return durationArgument(sampleEvery, 'sampleEvery', {
    minMs: MIN_SAMPLE_MS,
    maxMs: MAX_SAMPLE_MS,
    takes: 'from 100ms to 1h, like 500ms, 1s or 1m',
  });
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

/** Where a telemetry subscription's points go: shaped, then sampled when it asked so. */
function outlet(
  shape: (point: TelemetryPoint) => TelemetryPoint | undefined,
  sampleMs: number | undefined,
  push: (point: TelemetryPoint) => void,
) {
  const sampler = sampleMs === undefined ? undefined : createLiveSampler(sampleMs, push);
  return {
    deliver(point: TelemetryPoint) {
      const shaped = shape(point);
      if (!shaped) return;
      if (sampler) sampler.add(shaped);
      else push(shaped);
    },
    close: () => sampler?.close(),
  };
}

function selectDevices(context: GraphQLContext, args: LiveTelemetryArgs) {
  if ((args.deviceIds == null) === (args.filter == null)) {
    throw badUserInput('give either deviceIds or filter, not both', 'deviceIds');
  }
  if (args.deviceIds != null) return namedDevices(context, args.deviceIds);
  // A filter reads devices (which match it), as `devices(filter)` does.
  if (!context.viewer.permissions.has('devices:read')) {
    throw forbidden('a filter needs devices:read; name the devices with deviceIds instead');
  }
  return filteredDevices(context, toDeviceFilter(args.filter));
}

/**
 * Every check happens before the stream starts (an unknown or foreign id fails the subscription
 * with NOT_FOUND, like a query would; a bad argument with BAD_USER_INPUT), then the live hub's
 * points of the devices stream. With `since`, the points stored after it come first.
 */
export async function subscribeTelemetry(
  context: GraphQLContext,
  args: LiveTelemetryArgs,
): Promise<AsyncIterable<TelemetryPoint>> {
  const shape = pointShaper(args);
  const sampleMs = checkSampleEvery(args.sampleEvery);
  const devices = await selectDevices(context, args);
  if (args.since != null) return resumedStream(context, devices, args, shape, sampleMs);
  return liveStream<TelemetryPoint>(async (push) => {
    const out = outlet(shape, sampleMs, push);
    const stop = await devices.listen(out.deliver);
    return () => {
      stop();
      out.close();
    };
  });
}

/**
 * The stored points after `since`, in time order, then the live ones, with no gap and no
 * duplicate between them (live-resume.ts): the live listener is attached, and what it hears kept,
 * before the history is read, so a refusal (too many points) still comes before anything
 * streams. The history is shaped (metrics, where) but not sampled: it is what was missed.
 */
async function resumedStream(
  context: GraphQLContext,
  devices: LiveDevices,
  args: LiveTelemetryArgs,
  shape: (point: TelemetryPoint) => TelemetryPoint | undefined,
  sampleMs: number | undefined,
): Promise<AsyncIterable<TelemetryPoint>> {
  const early: TelemetryPoint[] = [];
  let forward: ((point: TelemetryPoint) => void) | undefined;
  const stopListening = await devices.listen((point) => {
    if (forward) return forward(point);
    early.push(point);
    if (early.length > PENDING_EVENTS_PER_SOURCE) early.shift();
  });
  let history: TelemetryPoint[];
  try {
    const metrics = args.metrics == null ? undefined : checkMetrics(args.metrics);
    // Every point that may have gone live before the listener was attached is stored first.
    await context.services.storedThrough?.();
    history = await readSince(context, await devices.current(), args.since!.getTime(), metrics);
  } catch (error) {
    stopListening();
    throw error;
  }
  const handover = createHandover(history);
  const stream = new Repeater<TelemetryPoint>(
    async (push, stop) => {
      for (const point of history) {
        const shaped = shape(point);
        if (shaped) void push(shaped);
      }
      const out = outlet(shape, sampleMs, (point) => void push(point));
      forward = (point) => {
        if (!handover.isDuplicate(point)) out.deliver(point);
      };
      for (const point of early.splice(0)) forward(point);
      await stop;
      stopListening();
      out.close();
    },
    new SlidingBuffer(MAX_RESUMED_POINTS + PENDING_EVENTS_PER_SOURCE),
  );
  // Released on close even when never read (a Repeater that never started has nothing to stop).
  return releasedAtEnd(stream, stopListening);
}
