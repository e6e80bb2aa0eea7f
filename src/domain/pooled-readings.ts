import { ExactMoments } from './exact-moments.js';
import { ExactSum } from './exact-sum.js';
import { medianOfSorted, nearestRankOf, percentileOfSorted } from './order-statistics.js';
import {
  valueTypeOf,
  type Aggregate,
  type AggregateValues,
  type MetricValue,
  type ValueType,
} from './telemetry.js';

/** One device's value of a metric at a time (its newest, for `fleet.latest`). */
export interface Reading {
  deviceId: string;
  value: MetricValue;
  ts: number;
}

const PERCENTILES: Partial<Record<Aggregate, number>> = { p50: 50, p90: 90, p95: 95, p99: 99 };

/** Earlier time first; at the same time, the smaller device id. */
const before = (a: Reading, b: Reading) =>
  a.ts < b.ts || (a.ts === b.ts && a.deviceId < b.deviceId);

/**
 * The aggregates of several devices' readings pooled, by the rules a store's bucket follows
 * (domain/telemetry.ts AggregateQuery): COUNT of every value, the exact SUM of the numbers and
 * MEAN as that sum over their count (or the fraction of true of booleans), MIN, MAX, the
 * nearest-rank percentiles, MEDIAN, STDDEV and SPREAD of the numbers. FIRST and LAST are the
 * oldest and newest reading,
 * the device id deciding between readings of the same time. Returns the readings' value types,
 * by name, for aggregateProblem.
 */
export function poolReadings(
  readings: readonly Reading[],
  aggregates: readonly Aggregate[],
): { values: AggregateValues; types: ValueType[] } {
  const numbers: number[] = [];
  let booleans = 0;
  let trues = 0;
  let first: Reading | undefined;
  let last: Reading | undefined;
  const types = new Set<ValueType>();
  for (const reading of readings) {
    types.add(valueTypeOf(reading.value));
    if (typeof reading.value === 'number') numbers.push(reading.value);
    else if (typeof reading.value === 'boolean') {
      booleans += 1;
      if (reading.value) trues += 1;
    }
    if (!first || before(reading, first)) first = reading;
    if (!last || before(last, reading)) last = reading;
  }
  const ordered = aggregates.some((name) => PERCENTILES[name] !== undefined || name === 'median');
  const sorted = ordered ? [...numbers].sort((a, b) => a - b) : [];
  const sum = () => {
    const exact = new ExactSum();
    for (const number of numbers) exact.add(number);
    return exact.value();
  };
  const values: AggregateValues = {};
  for (const name of aggregates) {
    const percentile = PERCENTILES[name];
    if (name === 'count') values.count = readings.length;
    else if (name === 'first') values.first = first?.value ?? null;
    // A counter's steps need a range: the caller refuses INCREASE and RATE of readings.
    else if (name === 'increase' || name === 'rate') values[name] = null;
    else if (name === 'last') values.last = last?.value ?? null;
    else if (numbers.length === 0) {
      values[name] = name === 'mean' && booleans > 0 ? trues / booleans : null;
    } else if (name === 'sum') values.sum = sum();
    else if (name === 'mean') values.mean = sum() / numbers.length;
    else if (name === 'min') values.min = numbers.reduce((a, b) => Math.min(a, b));
    else if (name === 'max') values.max = numbers.reduce((a, b) => Math.max(a, b));
    else if (name === 'spread') {
      values.spread =
        numbers.reduce((a, b) => Math.max(a, b)) - numbers.reduce((a, b) => Math.min(a, b));
    } else if (name === 'median') values.median = medianOfSorted(sorted);
    else if (name === 'stddev') {
      const moments = new ExactMoments();
      for (const number of numbers) moments.add(number);
      values.stddev = moments.stddev();
    } else if (percentile !== undefined) {
      values[name] = percentileOfSorted(sorted, nearestRankOf(percentile));
    }
  }
  return { values, types: [...types].sort() };
}
