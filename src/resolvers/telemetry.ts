import type { GraphQLContext } from '../schema/context.js';
import { DEFAULT_RAW_PAGE, MAX_RAW_PAGE } from '../domain/query-limits.js';
import {
  compareMetricNames,
  metricsByName,
  type Aggregate,
  type Bucket,
  type MetricValue,
  type TelemetryPoint,
} from '../domain/telemetry.js';
import type { Device } from '../ports/device-repository.js';
import { badUserInput, pageSize, refuseBackwardPaging } from './errors.js';
import { fillBuckets, type FillMode } from './fill.js';
import {
  checkAggregates,
  checkAskedMetrics,
  checkMetrics,
  checkPercentiles,
  checkRange,
  chooseWindow,
  keptRange,
  keptRun,
  oldestKept,
  refuseAggregatesOfWrongType,
  typesInBuckets,
  type WindowArgs,
} from './telemetry-arguments.js';
import { retentionIn } from './retention.js';

export interface TelemetryArgs extends WindowArgs {
  metrics: string[];
  from: Date;
  to: Date;
  aggregates?: Aggregate[] | null;
  percentiles?: number[] | null;
  fill?: FillMode | null;
}

/**
 * A telemetry question (a device's or a fleet's) checked: its window, metrics and aggregates,
 * and the runs of equal buckets the store is asked for, each clipped to the retention (one run in
 * UTC, a few a year in a zone with daylight saving time). A counter's steps go on across runs:
 * each finds its previous point from the first run's start (`counterFrom`).
 */
export async function checkTelemetryQuestion(context: GraphQLContext, args: TelemetryArgs) {
  const range = checkRange(args.from, args.to);
  const window = chooseWindow(args, range);
  const metrics = checkAskedMetrics(args.metrics);
  const percentiles = checkPercentiles(args.percentiles);
  const aggregates = checkAggregates(args.aggregates, percentiles);
  const asked = { aggregates, percentiles };
  const retention = await retentionIn(context);
  const runs = window.runs.flatMap((run) => keptRun(retention, run, asked) ?? []);
  return { window, metrics, percentiles, aggregates, runs, counterFrom: runs[0]?.from ?? 0 };
}

type TelemetryQuestion = Awaited<ReturnType<typeof checkTelemetryQuestion>>;

/** One series' stored buckets answered: refused for a type they cannot take, else filled. */
export function seriesForGraphQL(
  stored: readonly Bucket[],
  question: TelemetryQuestion,
  fill: FillMode | null | undefined,
) {
  const { window, metrics, aggregates, percentiles } = question;
  refuseAggregatesOfWrongType(typesInBuckets([stored], metrics), aggregates, percentiles);
  return bucketsForGraphQL(stored, {
    starts: window.starts,
    metrics,
    aggregates,
    percentiles,
    fill,
  });
}

export async function aggregateTelemetry(
  context: GraphQLContext,
  device: Device,
  args: TelemetryArgs,
) {
  const question = await checkTelemetryQuestion(context, args);
  const { metrics, aggregates, percentiles, counterFrom } = question;
  // Batched per request: the page's devices asking the same question cost one store call per run.
  const runs = await Promise.all(
    question.runs.map((run) =>
      context.loaders.telemetry.load({
        deviceId: device.id,
        question: { metrics, ...run, counterFrom, aggregates, percentiles },
      }),
    ),
  );
  return seriesForGraphQL(runs.flat(), question, args.fill);
}

/**
 * A series' stored buckets as GraphQL shows them: gaps filled as `fill` asks, and each bucket's
 * metrics by name, as latest and rawTelemetry list them, not in the argument's order.
 */
export function bucketsForGraphQL(
  stored: readonly Bucket[],
  question: {
    starts: readonly number[];
    metrics: readonly string[];
    aggregates: readonly Aggregate[];
    percentiles: readonly number[];
    fill?: FillMode | null;
  },
) {
  const { metrics, fill, ...rest } = question;
  const filled = fillBuckets(stored, { ...rest, metrics, mode: fill ?? 'NONE' });
  const byName = [...metrics].sort(compareMetricNames);
  return filled.map((bucket) => ({
    start: new Date(bucket.start),
    metrics: byName
      .filter((metric) => bucket.values[metric])
      .map((metric) => ({ metric, ...bucket.values[metric] })),
  }));
}

export interface RawTelemetryArgs {
  metrics?: string[] | null;
  from: Date;
  to: Date;
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

const encodeCursor = (ts: number) => Buffer.from(`ts:${ts}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const match = /^ts:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw badUserInput('after is not a valid cursor', 'after');
  return Number(match[1]);
}

export async function rawTelemetry(
  context: GraphQLContext,
  device: Device,
  args: RawTelemetryArgs,
) {
  refuseBackwardPaging(args);
  const checked = checkRange(args.from, args.to);
  const first = pageSize(args.first, DEFAULT_RAW_PAGE, MAX_RAW_PAGE);
  const metrics = checkMetrics(args.metrics ?? []);
  const after = args.after ? decodeCursor(args.after) : undefined;
  const range = keptRange(await retentionIn(context), checked);
  if (!range) return pageOf([], first, args.after);
  const points = await context.services.telemetry.raw({
    orgId: context.viewer.organizationId,
    deviceId: device.id,
    metrics,
    ...range,
    after,
    limit: first + 1,
  });
  return pageOf(points, first, args.after);
}

/** A connection page of the points read (one more than the page, to know there are more). */
function pageOf(
  points: readonly TelemetryPoint[],
  first: number,
  after: string | null | undefined,
) {
  const edges = points.slice(0, first).map((point) => ({
    cursor: encodeCursor(point.ts),
    node: { deviceId: point.deviceId, ts: point.ts, metrics: point.metrics },
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: points.length > first,
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A device's latest values, without those older than the retention. */
export async function keptLatest(context: GraphQLContext, deviceId: string) {
  const [values, retention] = await Promise.all([
    context.loaders.latest.load(deviceId),
    retentionIn(context),
  ]);
  const oldest = oldestKept(retention);
  return values.every((value) => value.ts >= oldest)
    ? values
    : values.filter((value) => value.ts >= oldest);
}

/**
 * A point as GraphQL shows it: metrics as a list of typed entries rather than a map, by metric
 * name as everywhere (stored points already are; live ones keep the order the device sent).
 */
export function metricEntries(metrics: Record<string, MetricValue>, ts: number) {
  return Object.entries(metricsByName(metrics)).map(([metric, value]) => ({ metric, value, ts }));
}
