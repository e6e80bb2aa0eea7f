/**
 * The checks every telemetry read applies to its arguments (a device's `telemetry`, the fleet's
 * questions), each refusal a BAD_USER_INPUT naming the argument and what a valid one looks like.
 */
import { metricNameProblem } from '../domain/metric-name.js';
import {
  bucketCount,
  MAX_BUCKETS,
  MAX_METRICS,
  parseEvery,
  windowForMaxPoints,
} from '../domain/query-limits.js';
import {
  aggregateProblem,
  compareMetricNames,
  type Aggregate,
  type Bucket,
  type ValueType,
} from '../domain/telemetry.js';
import { badUserInput } from './errors.js';

export function checkRange(from: Date, to: Date): { from: number; to: number } {
  if (!(from.getTime() < to.getTime())) throw badUserInput('from must be before to', 'from');
  return { from: from.getTime(), to: to.getTime() };
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
}

/** The bucket width a read uses: `every` as given, or the one `maxPoints` picks. */
export interface Window {
  /** As a duration literal: `every` as given, or the chart window `maxPoints` chose. */
  every: string;
  ms: number;
  buckets: number;
}

/**
 * Exactly one of `every` and `maxPoints`; the range cut by it into at most MAX_BUCKETS buckets
 * (`maxPoints` itself at most that).
 */
export function chooseWindow(args: WindowArgs, range: { from: number; to: number }): Window {
  const { every, maxPoints } = args;
  if ((every == null) === (maxPoints == null)) {
    throw badUserInput('give either every or maxPoints (not both)', 'every');
  }
  if (maxPoints != null) {
    if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_BUCKETS) {
      throw badUserInput(`maxPoints must be between 1 and ${MAX_BUCKETS}`, 'maxPoints');
    }
    const chosen = windowForMaxPoints(range.from, range.to, maxPoints);
    if ('problem' in chosen) throw badUserInput(chosen.problem, 'maxPoints');
    return { ...chosen, buckets: bucketCount(range.from, range.to, chosen.ms) };
  }
  const parsed = parseEvery(every!);
  if ('problem' in parsed) throw badUserInput(parsed.problem, 'every');
  const buckets = bucketCount(range.from, range.to, parsed.ms);
  if (buckets > MAX_BUCKETS) {
    throw badUserInput(
      `the range holds ${buckets} buckets of ${every}, more than ${MAX_BUCKETS}; widen every or narrow the range`,
      'every',
    );
  }
  return { every: every!, ms: parsed.ms, buckets };
}

/** The aggregates asked for, each once; MEAN when none are. */
export function checkAggregates(aggregates: readonly Aggregate[] | null | undefined): Aggregate[] {
  return aggregates?.length ? [...new Set(aggregates)] : ['mean'];
}

/**
 * BAD_USER_INPUT for an aggregate the metric's values cannot take (the rule is aggregateProblem's),
 * naming the metric and why: never an empty series in silence.
 */
export function refuseAggregatesOfWrongType(
  typesByMetric: ReadonlyMap<string, ReadonlySet<ValueType>>,
  aggregates: readonly Aggregate[],
) {
  for (const metric of [...typesByMetric.keys()].sort(compareMetricNames)) {
    for (const aggregate of aggregates) {
      const problem = aggregateProblem(aggregate, typesByMetric.get(metric)!);
      if (problem) {
        throw badUserInput(
          `${aggregate.toUpperCase()} cannot aggregate metric "${metric}": ${problem}`,
          'aggregates',
        );
      }
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
