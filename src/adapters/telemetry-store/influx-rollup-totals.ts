/**
 * The whole buckets of a question that asks only what adds up (COUNT, SUM, MEAN, MIN, MAX,
 * SPREAD), added up by InfluxDB itself from the rows' totals fields (influx-rollup-fields.ts):
 * GROUP BY time(every, offset), one statement per group (or one for every device, by device), so
 * a bucket's totals come back instead of its rows. A fleet's 5-minute chart over a day is 288,000
 * rows, and reading and parsing each row's text took seconds.
 *
 * The answer is the one the rows give (influx-rollup-buckets.ts): SUM from the exact totals of
 * the limbs (influx-sum-limbs.ts), MEAN that sum over the count. Where a bucket holds a row that
 * is not summable (booleans or strings, a sum the limbs cannot hold, a row written before these
 * fields existed) there is no answer here, and the caller reads the rows.
 */
import { bucketOffset } from '../../domain/bucket-grid.js';
import {
  compareMetricNames,
  type Aggregate,
  type AggregateValues,
  type Bucket,
} from '../../domain/telemetry.js';
import { devicesByGroup } from './buckets.js';
import { quoteIdentifier, type createInfluxHttp, type InfluxValue } from './influx-http.js';
import { DEVICE_TAG, METRIC_TAG, QueryParams, rollupMeasurementOf } from './influx-layout.js';
import { LIMB_FIELDS } from './influx-rollup-fields.js';
import type { RollupRead } from './influx-rollup-reader.js';
import { MAX_ROWS, sumOfLimbTotals } from './influx-sum-limbs.js';

/** What a bucket's totals answer. */
export const TOTALS_AGGREGATES: ReadonlySet<Aggregate> = new Set([
  'count',
  'sum',
  'mean',
  'min',
  'max',
  'spread',
]);

/** The totals a question needs, in the order its statements select them after the time. */
function selectionOf(aggregates: readonly Aggregate[]) {
  const asks = (...names: Aggregate[]) => names.some((name) => aggregates.includes(name));
  const min = asks('min', 'spread');
  const max = asks('max', 'spread');
  const sums = asks('sum', 'mean');
  const columns = ['SUM("n_num"::field)', 'COUNT("n_num"::field)', 'SUM("summable"::field)'];
  if (min) columns.push('MIN("min"::field)');
  if (max) columns.push('MAX("max"::field)');
  if (sums) columns.push(...LIMB_FIELDS.map((field) => `SUM(${quoteIdentifier(field)}::field)`));
  return { text: columns.join(', '), min, max };
}

/** A bucket's totals, as one row of a statement selected them. */
interface Totals {
  numbers: number;
  min: number;
  max: number;
  limbs: number[];
}

/** The row's totals, or undefined when a row in its bucket is not summable. */
function bucketTotalsOf(values: readonly InfluxValue[], selection: { min: boolean; max: boolean }) {
  const [, numbers, rows, summable, ...rest] = values as number[];
  if (typeof rows !== 'number' || summable !== rows || rows > MAX_ROWS) return undefined;
  const totals: Totals = { numbers: numbers!, min: NaN, max: NaN, limbs: [] };
  if (selection.min) totals.min = rest.shift()!;
  if (selection.max) totals.max = rest.shift()!;
  totals.limbs = rest;
  return totals;
}

function valuesOf(totals: Totals, aggregates: readonly Aggregate[]): AggregateValues {
  const sum = totals.limbs.length > 0 ? sumOfLimbTotals(totals.limbs) : NaN;
  const values: AggregateValues = {};
  for (const name of aggregates) {
    if (name === 'count') values.count = totals.numbers;
    else if (name === 'sum') values.sum = sum;
    else if (name === 'mean') values.mean = sum / totals.numbers;
    else if (name === 'min') values.min = totals.min;
    else if (name === 'max') values.max = totals.max;
    else if (name === 'spread') values.spread = totals.max - totals.min;
  }
  return values;
}

/**
 * The buckets of [read.from, read.to) from InfluxDB's totals of the rows of `read.grain`, per
 * series of `read.seriesOf`; undefined when the question asks more than TOTALS_AGGREGATES or a
 * bucket holds a row that is not summable.
 */
export async function aggregateFromRollupTotals(
  http: ReturnType<typeof createInfluxHttp>,
  read: RollupRead,
): Promise<Map<string, Bucket[]> | undefined> {
  if (!read.aggregates.every((name) => TOTALS_AGGREGATES.has(name))) return undefined;
  if (read.seriesOf.size === 0 || read.metrics.length === 0) return new Map();
  const selection = selectionOf(read.aggregates);
  const params = new QueryParams();
  const from = `FROM ${quoteIdentifier(rollupMeasurementOf(read.orgId, read.grain))}`;
  const scope = `${params.anyOf(METRIC_TAG, read.metrics)} AND ${params.during(read.from, read.to)}`;
  const byTime = `time(${read.every}ms, ${bucketOffset(read.every, read.origin)}ms)`;
  // A question of devices asks one statement by device; one of groups, a statement per group,
  // whose devices InfluxDB pools.
  const byDevice = [...read.seriesOf].every(([deviceId, key]) => deviceId === key);
  const groups = byDevice ? [] : [...devicesByGroup(read.seriesOf)];
  const statements = byDevice
    ? [
        `SELECT ${selection.text} ${from} WHERE ${params.anyOf(DEVICE_TAG, read.seriesOf.keys())} AND ${scope} GROUP BY ${byTime}, ${DEVICE_TAG}, ${METRIC_TAG} fill(none)`,
      ]
    : groups.map(
        ([, deviceIds]) =>
          `SELECT ${selection.text} ${from} WHERE ${params.anyOf(DEVICE_TAG, deviceIds)} AND ${scope} GROUP BY ${byTime}, ${METRIC_TAG} fill(none)`,
      );
  const bucketsOf = new Map<string, Map<number, Bucket>>();
  let summable = true;
  await http.queryEach(statements.join('; '), params.values, (statement, series) => {
    const key = byDevice ? series.tags?.device_id : groups[statement]?.[0];
    const metric = series.tags?.metric;
    if (key === undefined || metric === undefined || !summable) return;
    let buckets = bucketsOf.get(key);
    if (!buckets) bucketsOf.set(key, (buckets = new Map()));
    for (const values of series.values) {
      const totals = bucketTotalsOf(values, selection);
      if (!totals) {
        summable = false;
        return;
      }
      const start = Number(values[0]);
      let bucket = buckets.get(start);
      if (!bucket) buckets.set(start, (bucket = { start, values: {}, types: {} }));
      bucket.values[metric] = valuesOf(totals, read.aggregates);
      bucket.types[metric] = ['number'];
    }
  });
  if (!summable) return undefined;
  const result = new Map<string, Bucket[]>();
  for (const [key, buckets] of bucketsOf) {
    const sorted = [...buckets.values()].sort((a, b) => a.start - b.start);
    for (const bucket of sorted) bucket.values = sortedByMetric(bucket.values);
    result.set(key, sorted);
  }
  return result;
}

/** The metrics in the order the rows' answers list them. */
function sortedByMetric<T>(byMetric: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(byMetric).sort(([a], [b]) => compareMetricNames(a, b)));
}
