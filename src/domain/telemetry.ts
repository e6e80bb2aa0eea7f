/** A metric's value as devices send it: JSON numbers, booleans and short strings. */
export type MetricValue = number | boolean | string;

/**
 * One telemetry point. A point is identified by (deviceId, ts): writing the same identity twice
 * keeps one point whose metrics hold their last written values (InfluxDB's rule for a series).
 */
export interface TelemetryPoint {
  orgId: string;
  deviceId: string;
  /** Epoch milliseconds. */
  ts: number;
  metrics: Record<string, MetricValue>;
}

/** Points by organization, each organization's in their order. */
export function groupByOrganization(points: readonly TelemetryPoint[]) {
  const groups = new Map<string, TelemetryPoint[]>();
  for (const point of points) {
    const group = groups.get(point.orgId);
    if (group) group.push(point);
    else groups.set(point.orgId, [point]);
  }
  return groups;
}

/**
 * The one order of metrics in every answer, whichever store or cache gives it (latest values, the
 * metrics of a raw point, the metrics of an aggregate bucket): by name, in plain UTF-16 code-unit
 * order, which is what `<` on strings and `Array.prototype.sort()` without a comparator use.
 */
export function compareMetricNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts `list` in place by metric name and returns it. */
export function sortByMetricName<T extends { readonly metric: string }>(list: T[]): T[] {
  return list.sort((x, y) => compareMetricNames(x.metric, y.metric));
}

/**
 * A point's metrics with their keys in name order: `metrics` itself when they already are. (Metric
 * names start with a letter, so none is an array index, which an object would list first.)
 */
export function metricsByName<V>(metrics: Record<string, V>): Record<string, V> {
  const names = Object.keys(metrics);
  let ordered = true;
  for (let i = 1; i < names.length && ordered; i++) ordered = names[i - 1]! < names[i]!;
  if (ordered) return metrics;
  const sorted: Record<string, V> = {};
  for (const name of names.sort(compareMetricNames)) sorted[name] = metrics[name]!;
  return sorted;
}

/** The last value of one metric of one device. */
export interface LatestValue {
  metric: string;
  value: MetricValue;
  ts: number;
}

export const AGGREGATES = [
  'mean',
  'min',
  'max',
  'sum',
  'count',
  'first',
  'last',
  'p50',
  'p90',
  'p95',
  'p99',
] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/**
 * Aggregates are computed over a metric's numeric values (strings and booleans are skipped, as
 * InfluxDB cannot aggregate them either). `first`/`last` are by time; percentiles use the
 * nearest-rank definition InfluxQL's PERCENTILE() uses; `sum` is the exact sum of the bucket's
 * numbers rounded once to the nearest double and `mean` that sum divided by the count, so no
 * order of addition shows in an answer. Every store gives the same answer, to the last bit.
 */
export interface AggregateQuery {
  orgId: string;
  deviceId: string;
  metrics: string[];
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  /** Bucket width in ms; buckets start at multiples of it since the epoch. */
  every: number;
  aggregates: Aggregate[];
}

/** One metric's aggregates in one bucket; only the requested aggregates are set. */
export type AggregateValues = Partial<Record<Aggregate, number | null>>;

/** A time bucket that holds at least one point. Stores never return empty buckets. */
export interface Bucket {
  /** Bucket start, epoch ms. */
  start: number;
  /** Keyed by metric name; a metric with no numeric value in the bucket is absent. */
  values: Record<string, AggregateValues>;
}

export interface RawQuery {
  orgId: string;
  deviceId: string;
  /** Metrics to return; empty means all. */
  metrics: string[];
  from: number;
  to: number;
  /** Return points with ts strictly after this (epoch ms), for paging. */
  after?: number;
  limit: number;
}
