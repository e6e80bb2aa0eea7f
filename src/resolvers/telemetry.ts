import type { GraphQLContext } from '../schema/context.js';
import { metricNameProblem } from '../domain/metric-name.js';
import {
  bucketCount,
  DEFAULT_RAW_PAGE,
  MAX_BUCKETS,
  MAX_METRICS,
  MAX_RAW_PAGE,
  parseEvery,
} from '../domain/query-limits.js';
import {
  aggregateProblem,
  compareMetricNames,
  metricsByName,
  type Aggregate,
  type Bucket,
  type MetricValue,
  type ValueType,
} from '../domain/telemetry.js';
import type { Device } from '../ports/device-repository.js';
import { badUserInput, pageSize, refuseBackwardPaging } from './errors.js';
import { fillBuckets, type FillMode } from './fill.js';

/** `every` in milliseconds, or BAD_USER_INPUT saying what a valid one looks like. */
function everyMs(every: string): number {
  const parsed = parseEvery(every);
  if ('problem' in parsed) throw badUserInput(parsed.problem, 'every');
  return parsed.ms;
}

function checkRange(from: Date, to: Date): { from: number; to: number } {
  if (!(from.getTime() < to.getTime())) throw badUserInput('from must be before to', 'from');
  return { from: from.getTime(), to: to.getTime() };
}

function checkMetrics(metrics: readonly string[]): string[] {
  if (metrics.length > MAX_METRICS) throw badUserInput(`at most ${MAX_METRICS} metrics`, 'metrics');
  // Ingest's rule: a name no device can send is refused here, before it reaches a store's query.
  for (const metric of metrics) {
    const problem = metricNameProblem(metric);
    if (problem)
      throw badUserInput(`${JSON.stringify(metric.slice(0, 64))}: ${problem}`, 'metrics');
  }
  return [...new Set(metrics)];
}

/**
 * BAD_USER_INPUT for an aggregate the metric's values in the range cannot take (the rule is
 * aggregateProblem's), naming the metric and why: never an empty series in silence.
 */
function refuseAggregatesOfWrongType(
  buckets: readonly Bucket[],
  metrics: readonly string[],
  aggregates: readonly Aggregate[],
) {
  for (const metric of [...metrics].sort(compareMetricNames)) {
    const types = new Set<ValueType>();
    for (const bucket of buckets) for (const type of bucket.types[metric] ?? []) types.add(type);
    for (const aggregate of aggregates) {
      const problem = aggregateProblem(aggregate, types);
      if (problem) {
        throw badUserInput(
          `${aggregate.toUpperCase()} cannot aggregate metric "${metric}": ${problem}`,
          'aggregates',
        );
      }
    }
  }
}

export interface TelemetryArgs {
  metrics: string[];
  from: Date;
  to: Date;
  every: string;
  aggregates?: Aggregate[] | null;
  fill?: FillMode | null;
}

export async function aggregateTelemetry(
  context: GraphQLContext,
  device: Device,
  args: TelemetryArgs,
) {
  const { from, to } = checkRange(args.from, args.to);
  const every = everyMs(args.every);
  const buckets = bucketCount(from, to, every);
  if (buckets > MAX_BUCKETS) {
    throw badUserInput(
      `the range holds ${buckets} buckets of ${args.every}, more than ${MAX_BUCKETS}; widen every or narrow the range`,
      'every',
    );
  }
  const metrics = checkMetrics(args.metrics);
  if (metrics.length === 0) throw badUserInput('name at least one metric', 'metrics');
  const aggregates: Aggregate[] = args.aggregates?.length
    ? [...new Set(args.aggregates)]
    : ['mean'];
  // Batched per request: the page's devices asking the same question cost one store call.
  const stored = await context.loaders.telemetry.load({
    deviceId: device.id,
    question: { metrics, from, to, every, aggregates },
  });
  refuseAggregatesOfWrongType(stored, metrics, aggregates);
  const filled = fillBuckets(stored, {
    from,
    to,
    every,
    metrics,
    aggregates,
    mode: args.fill ?? 'NONE',
  });
  // A bucket lists its metrics by name, as latest and rawTelemetry do, not in the argument's order.
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
  const { from, to } = checkRange(args.from, args.to);
  const first = pageSize(args.first, DEFAULT_RAW_PAGE, MAX_RAW_PAGE);
  const points = await context.services.telemetry.raw({
    orgId: context.viewer.organizationId,
    deviceId: device.id,
    metrics: checkMetrics(args.metrics ?? []),
    from,
    to,
    after: args.after ? decodeCursor(args.after) : undefined,
    limit: first + 1,
  });
  const page = points.slice(0, first);
  const edges = page.map((point) => ({
    cursor: encodeCursor(point.ts),
    node: { deviceId: point.deviceId, ts: point.ts, metrics: point.metrics },
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: points.length > first,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/**
 * A point as GraphQL shows it: metrics as a list of typed entries rather than a map, by metric
 * name as everywhere (stored points already are; live ones keep the order the device sent).
 */
export function metricEntries(metrics: Record<string, MetricValue>, ts: number) {
  return Object.entries(metricsByName(metrics)).map(([metric, value]) => ({ metric, value, ts }));
}
