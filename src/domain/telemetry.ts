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
  /**
   * When ingest received the point (epoch ms): what lastSeenAt and connectivity go by. Not
   * stored with the point; absent on points that did not come through ingest.
   */
  receivedAt?: number;
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

/** How far ahead of its receipt a point's time may be (a device's clock running fast). */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

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
  'median',
  'stddev',
  'spread',
  'increase',
  'rate',
] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** The type of a metric value, as aggregates tell them apart. */
export type ValueType = 'number' | 'boolean' | 'string';

export function valueTypeOf(value: MetricValue): ValueType {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

/** The aggregates that take values of every type, and of several types in one range. */
export const ANY_TYPE_AGGREGATES: ReadonlySet<Aggregate> = new Set(['count', 'first', 'last']);

/**
 * What each type of value can be aggregated by. Numbers: everything (SUM, MIN, MAX, the
 * percentiles, MEDIAN, STDDEV, SPREAD, INCREASE and RATE take numbers only). Booleans: COUNT, MEAN (the fraction
 * of true, what a dashboard plots for a door left open or an alarm), FIRST, LAST. Strings: COUNT,
 * FIRST, LAST. Anything else is refused, never answered with an empty series.
 */
export const AGGREGATES_BY_TYPE: Readonly<Record<ValueType, ReadonlySet<Aggregate>>> = {
  number: new Set(AGGREGATES),
  boolean: new Set(['count', 'mean', 'first', 'last']),
  string: ANY_TYPE_AGGREGATES,
};

/**
 * Why `aggregate` cannot be asked of a metric whose values in the range have these types, or
 * undefined when it can. A metric of one type takes what AGGREGATES_BY_TYPE gives that type; a
 * metric of several types in the range (a device that changed what it sends) takes COUNT, FIRST
 * and LAST only: its numbers alone, or its booleans alone, would answer for a part of it.
 */
export function aggregateProblem(
  aggregate: Aggregate,
  types: ReadonlySet<ValueType>,
): string | undefined {
  if (ANY_TYPE_AGGREGATES.has(aggregate) || types.size === 0) return undefined;
  const [type, ...others] = [...types].sort();
  if (others.length > 0) {
    return `its values in the range are of several types (${[type, ...others].map(plural).join(', ')}), which take only COUNT, FIRST and LAST`;
  }
  if (AGGREGATES_BY_TYPE[type!].has(aggregate)) return undefined;
  return type === 'boolean'
    ? 'its values are booleans, which take COUNT, MEAN (the fraction of true), FIRST and LAST'
    : 'its values are strings, which take COUNT, FIRST and LAST';
}

const plural = (type: ValueType) => `${type}s`;

/**
 * The aggregates of a metric's values in a bucket. COUNT counts values of every type and
 * FIRST/LAST are the earliest and latest value by time, whatever its type; MEAN is over numbers,
 * or the fraction of true over booleans; SUM, MIN, MAX, the percentiles, MEDIAN, STDDEV, SPREAD,
 * INCREASE and RATE are over numbers. Percentiles use the nearest-rank definition InfluxQL's PERCENTILE() uses and
 * MEDIAN InfluxQL's MEDIAN() (domain/order-statistics.ts); SUM is the exact sum of the bucket's
 * numbers rounded once to the nearest double and MEAN of numbers that sum divided by their count,
 * so no order of addition shows in an answer; STDDEV is the sample standard deviation (n − 1) of
 * the exact variance, rounded once (domain/exact-moments.ts), null below two numbers; SPREAD is
 * MAX − MIN; INCREASE and RATE are a counter's (domain/counters.ts). Every store gives the same
 * answer, to the last bit. Stores compute what they can and report each bucket's value types;
 * refusing what a type cannot take (aggregateProblem) is the caller's.
 */
export interface AggregateQuery {
  orgId: string;
  deviceId: string;
  metrics: string[];
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  /** Bucket width in ms. */
  every: number;
  /**
   * Buckets start at origin + k·every (epoch ms; default 0, the epoch). One bucket spanning
   * exactly [from, to) is every = to - from with origin = from; a fixed time-zone offset moves
   * day buckets to local midnight.
   */
  origin?: number;
  aggregates: Aggregate[];
  /**
   * Percentiles asked besides the aggregates, distinct, each with 0 < p ≤ 100: nearest rank, as
   * P50..P99 are, of p as written in decimal (domain/order-statistics.ts), answered in this order
   * as AggregateValues' `percentiles`. Absent or empty: none.
   */
  percentiles?: readonly number[];
  /**
   * INCREASE and RATE (domain/counters.ts): the points from here on (at most `from`; default
   * `from`) may be the previous point of a device's first point in [from, to), so a question cut
   * into several (runs of a time zone) keeps the steps across its cuts. Only steps to points in
   * [from, to) are answered.
   */
  counterFrom?: number;
}

/** One asked percentile of a bucket's numbers; null when the bucket has none. */
export interface PercentileValue {
  percentile: number;
  value: number | null;
}

/** The aggregates whose value is a number whatever the metric's type. */
export type NumericAggregate = Exclude<Aggregate, 'first' | 'last'>;

/**
 * One metric's aggregates in one bucket; only the requested aggregates are set, null where the
 * bucket has no value they take. FIRST and LAST are values as sent, of any type; `percentiles`
 * are set when percentiles were asked (AggregateQuery), in the order asked.
 */
export type AggregateValues = { [A in NumericAggregate]?: number | null } & {
  first?: MetricValue | null;
  last?: MetricValue | null;
  percentiles?: PercentileValue[];
};

/** A time bucket that holds at least one point. Stores never return empty buckets. */
export interface Bucket {
  /** Bucket start, epoch ms. */
  start: number;
  /** Keyed by metric name; a metric with no value in the bucket is absent. */
  values: Record<string, AggregateValues>;
  /** Per metric in `values`, the types of its values in the bucket, by name ('boolean' first). */
  types: Record<string, ValueType[]>;
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
