/**
 * The checks every telemetry read applies to its arguments (a device's `telemetry`, the fleet's
 * questions), each refusal a BAD_USER_INPUT naming the argument and what a valid one looks like.
 */
import { metricNameProblem } from '../domain/metric-name.js';
import { bucketOffset, bucketStart } from '../domain/bucket-grid.js';
import { isTimeZone, localBuckets, type BucketRun } from '../domain/local-buckets.js';
import { oldestKeptAt, type Retention } from '../domain/retention.js';
import { planRollups } from '../domain/rollups.js';
import {
  bucketCount,
  CHART_WINDOWS,
  MAX_BUCKETS,
  MAX_METRICS,
  MAX_PERCENTILES,
  parseEvery,
} from '../domain/query-limits.js';
import {
  aggregateProblem,
  compareMetricNames,
  type Aggregate,
  type Bucket,
  type ValueType,
} from '../domain/telemetry.js';
import { badUserInput } from './errors.js';
import { alignedStarts } from './fill.js';

export function checkRange(from: Date, to: Date): { from: number; to: number } {
  if (!(from.getTime() < to.getTime())) throw badUserInput('from must be before to', 'from');
  return { from: from.getTime(), to: to.getTime() };
}

/**
 * The oldest time a read may show (the raw retention in force: resolvers/retention.ts): the
 * store deletes older points in the background, so every read clamps its range to this rather
 * than show what is not yet deleted.
 */
export function oldestKept(retention: Retention): number {
  return oldestKeptAt(retention.raw, Date.now());
}

/** The part of [from, to) a read may show, or undefined when all of it is past the retention. */
export function keptRange<R extends { from: number; to: number }>(
  retention: Retention,
  range: R,
): R | undefined {
  const from = Math.max(range.from, oldestKept(retention));
  return from < range.to ? { ...range, from: Math.ceil(from) } : undefined;
}

/**
 * The part of a run of buckets a read may show. Buckets the rollups answer (domain/rollups.ts)
 * are kept for the rollup retention, the points for the raw one: past the raw retention, a run
 * keeps its whole buckets up to the rollup retention, and a bucket the range cuts (read from
 * points) only when none of it is past the raw one; a first bucket cut by the raw retention
 * starts at it. Anything else is clamped to the raw retention.
 */
export function keptRun<R extends BucketRun>(
  retention: Retention,
  run: R,
  asked: { aggregates: readonly Aggregate[]; percentiles: readonly number[] },
): R | undefined {
  const oldestPoint = oldestKept(retention);
  const plan = planRollups({ ...run, ...asked });
  if (run.from >= oldestPoint || !plan) return keptRange(retention, run);
  const grid = (ts: number) => bucketStart(ts, run.every, bucketOffset(run.every, run.origin));
  const oldestRollup = oldestKeptAt(retention.rollups, Date.now());
  const firstWhole = (ts: number) => (grid(ts) === ts ? ts : grid(ts) + run.every);
  let from = run.from < oldestRollup ? firstWhole(oldestRollup) : run.from;
  // A first bucket cut by the range: its points may be gone, up to the raw retention.
  if (from === run.from && from !== grid(from)) from = Math.min(firstWhole(from), oldestPoint);
  let to = run.to;
  // A last bucket cut by the range, partly past the raw retention: left out.
  if (grid(to) !== to && grid(to) < oldestPoint) to = grid(to);
  if (from >= to) return keptRange(retention, run);
  return { ...run, from: Math.ceil(from), to };
}

/** Distinct, valid metric names: ingest's rule, so no name reaches a store's query unchecked. */
export function checkMetrics(metrics: readonly string[]): string[] {
  if (metrics.length > MAX_METRICS) throw badUserInput(`at most ${MAX_METRICS} metrics`, 'metrics');
  for (const metric of metrics) checkMetricName(metric, 'metrics');
  return [...new Set(metrics)];
}

export function checkMetricName(metric: string, field: string) {
  const problem = metricNameProblem(metric);
  if (problem) throw badUserInput(`${JSON.stringify(metric.slice(0, 64))}: ${problem}`, field);
}

/** At least one metric, for the reads that aggregate them. */
export function checkAskedMetrics(metrics: readonly string[]): string[] {
  const checked = checkMetrics(metrics);
  if (checked.length === 0) throw badUserInput('name at least one metric', 'metrics');
  return checked;
}

export interface WindowArgs {
  every?: string | null;
  maxPoints?: number | null;
  timeZone?: string | null;
}

/** The buckets a read uses: their width, and where they fall. */
export interface Window {
  /** As a duration literal: `every` as given, or the chart window `maxPoints` chose. */
  every: string;
  ms: number;
  /** The IANA zone buckets are aligned in ('UTC' by default). */
  timeZone: string;
  /** Each bucket's start (the first may precede `from`, where its bucket begins). */
  starts: number[];
  /** Runs of equal buckets covering the range: one store question each (one in UTC). */
  runs: BucketRun[];
}

/**
 * The buckets of a read: exactly one of `every` and `maxPoints` gives their width, `timeZone`
 * their alignment (local days, local hours of a half-hour zone: domain/local-buckets.ts); at
 * most MAX_BUCKETS of them (`maxPoints` itself at most that).
 */
export function chooseWindow(args: WindowArgs, range: { from: number; to: number }): Window {
  const { every, maxPoints } = args;
  if ((every == null) === (maxPoints == null)) {
    throw badUserInput('give either every or maxPoints (not both)', 'every');
  }
  const timeZone = checkTimeZone(args.timeZone);
  if (maxPoints != null) {
    if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_BUCKETS) {
      throw badUserInput(`maxPoints must be between 1 and ${MAX_BUCKETS}`, 'maxPoints');
    }
    for (const window of CHART_WINDOWS) {
      const { ms } = parseEvery(window) as { ms: number };
      const chosen = bucketsIn(range, ms, timeZone, maxPoints);
      if (chosen) return { every: window, ms, timeZone, ...chosen };
    }
    throw badUserInput(
      `the range holds more than ${maxPoints} buckets of 30d, the widest window; raise maxPoints or narrow the range`,
      'maxPoints',
    );
  }
  const parsed = parseEvery(every!);
  if ('problem' in parsed) throw badUserInput(parsed.problem, 'every');
  const chosen = bucketsIn(range, parsed.ms, timeZone, MAX_BUCKETS);
  if (!chosen) {
    const holds =
      timeZone === 'UTC'
        ? `${bucketCount(range.from, range.to, parsed.ms)} buckets of ${every}, more than ${MAX_BUCKETS}`
        : `more than ${MAX_BUCKETS} buckets of ${every} in ${timeZone}`;
    throw badUserInput(`the range holds ${holds}; widen every or narrow the range`, 'every');
  }
  return { every: every!, ms: parsed.ms, timeZone, ...chosen };
}

/** The buckets of `every` over the range in the zone, or undefined past `max` of them. */
function bucketsIn(
  range: { from: number; to: number },
  every: number,
  timeZone: string,
  max: number,
) {
  if (timeZone === 'UTC') {
    if (bucketCount(range.from, range.to, every) > max) return undefined;
    return {
      starts: alignedStarts(range.from, range.to, every),
      runs: [{ ...range, every, origin: 0 }],
    };
  }
  return localBuckets(range, every, timeZone, max);
}

/** UTC's names all read as UTC. */
const UTC_NAMES = new Set(['utc', 'etc/utc', 'gmt', 'etc/gmt', 'z', 'zulu', 'etc/zulu']);

/** The zone as given, or UTC when none is given (or UTC by another name). */
function checkTimeZone(timeZone: string | null | undefined): string {
  if (timeZone == null || UTC_NAMES.has(timeZone.toLowerCase())) return 'UTC';
  if (!isTimeZone(timeZone)) {
    throw badUserInput(
      `${JSON.stringify(timeZone.slice(0, 64))} is not an IANA time zone name like Europe/Berlin or UTC`,
      'timeZone',
    );
  }
  return timeZone;
}

/** The aggregates asked for, each once; MEAN when neither they nor percentiles are. */
export function checkAggregates(
  aggregates: readonly Aggregate[] | null | undefined,
  percentiles: readonly number[] = [],
): Aggregate[] {
  if (aggregates?.length) return [...new Set(aggregates)];
  return percentiles.length > 0 ? [] : ['mean'];
}

/** The percentiles asked for, each once in the order first asked: 0 < p ≤ 100, at most 10. */
export function checkPercentiles(percentiles: readonly number[] | null | undefined): number[] {
  if (!percentiles) return [];
  if (percentiles.length > MAX_PERCENTILES) {
    throw badUserInput(`at most ${MAX_PERCENTILES} percentiles`, 'percentiles');
  }
  for (const p of percentiles) {
    if (!(p > 0 && p <= 100)) {
      throw badUserInput(
        `a percentile is greater than 0 and at most 100 (99.9, 12.5, 50), not ${p}`,
        'percentiles',
      );
    }
  }
  return [...new Set(percentiles)];
}

/**
 * BAD_USER_INPUT for an aggregate the metric's values cannot take (the rule is aggregateProblem's),
 * naming the metric and why: never an empty series in silence.
 */
export function refuseAggregatesOfWrongType(
  typesByMetric: ReadonlyMap<string, ReadonlySet<ValueType>>,
  aggregates: readonly Aggregate[],
  percentiles: readonly number[] = [],
) {
  for (const metric of [...typesByMetric.keys()].sort(compareMetricNames)) {
    const types = typesByMetric.get(metric)!;
    for (const aggregate of aggregates) {
      const problem = aggregateProblem(aggregate, types);
      if (problem) {
        throw badUserInput(
          `${aggregate.toUpperCase()} cannot aggregate metric "${metric}": ${problem}`,
          'aggregates',
        );
      }
    }
    // Percentiles take what P50 takes: numbers.
    const problem = percentiles.length > 0 ? aggregateProblem('p50', types) : undefined;
    if (problem) {
      throw badUserInput(
        `percentiles cannot aggregate metric "${metric}": ${problem}`,
        'percentiles',
      );
    }
  }
}

/** Per metric, the types of its values in these buckets (of one series or of several). */
export function typesInBuckets(
  series: Iterable<readonly Bucket[]>,
  metrics: readonly string[],
): Map<string, Set<ValueType>> {
  const types = new Map(metrics.map((metric) => [metric, new Set<ValueType>()]));
  for (const buckets of series) {
    for (const bucket of buckets) {
      for (const metric of metrics) {
        for (const type of bucket.types[metric] ?? []) types.get(metric)!.add(type);
      }
    }
  }
  return types;
}
