import {
  compareMetricNames,
  type Aggregate,
  type AggregateValues,
  type Bucket,
  type MetricValue,
  type ValueType,
} from '../../domain/telemetry.js';
import { bucketOffset, bucketStart } from '../../domain/bucket-grid.js';
import { ExactMoments } from '../../domain/exact-moments.js';
import { ExactSum } from '../../domain/exact-sum.js';
import { nearestRankOf, percentileOfSorted } from '../../domain/order-statistics.js';
import { counterStep, rateOf } from '../../domain/counters.js';
import type { InfluxFieldType } from './influx-field-types.js';
import {
  quoteIdentifier,
  type BoundValue,
  type createInfluxHttp,
  type InfluxValue,
} from './influx-http.js';

/**
 * The casts that read a metric's values of one type. A field has one type per shard, so a metric
 * can have several (SHOW FIELD KEYS lists each), and `"m"::field` would read only one of them;
 * `::float` also reads integer fields (written by older versions), as floats.
 */
const CASTS: Record<ValueType, string> = { boolean: 'boolean', number: 'float', string: 'string' };

/** `"m"::float`: the metric's values of one type. */
export const typed = (metric: string, type: ValueType) =>
  `${quoteIdentifier(metric)}::${CASTS[type]}`;

/** The value types of a field of these InfluxDB types, by name (the order Bucket.types uses). */
export function valueTypes(fieldTypes: ReadonlySet<InfluxFieldType> | undefined): ValueType[] {
  const types: ValueType[] = [];
  if (fieldTypes?.has('boolean')) types.push('boolean');
  if (fieldTypes?.has('float') || fieldTypes?.has('integer')) types.push('number');
  if (fieldTypes?.has('string')) types.push('string');
  return types;
}

/**
 * InfluxQL's own aggregates, by type. SUM and MEAN of numbers, and MEAN of booleans, are not; nor
 * is STDDEV (InfluxQL's takes a running mean, then the squares from it, in the order it reads the
 * points: sound, but neither exact nor reproducible in DuckDB) or SPREAD (MAX - MIN, from those two,
 * which also merge over a group's devices). MEDIAN() is the documented one (lo + (hi - lo) / 2 for
 * an even count, domain/order-statistics.ts).
 */
const SELECTIONS: Record<ValueType, Partial<Record<Aggregate, (field: string) => string>>> = {
  number: {
    min: (f) => `MIN(${f})`,
    max: (f) => `MAX(${f})`,
    first: (f) => `FIRST(${f})`,
    last: (f) => `LAST(${f})`,
    p50: (f) => `PERCENTILE(${f}, 50)`,
    p90: (f) => `PERCENTILE(${f}, 90)`,
    p95: (f) => `PERCENTILE(${f}, 95)`,
    p99: (f) => `PERCENTILE(${f}, 99)`,
    median: (f) => `MEDIAN(${f})`,
  },
  boolean: { first: (f) => `FIRST(${f})`, last: (f) => `LAST(${f})` },
  string: { first: (f) => `FIRST(${f})`, last: (f) => `LAST(${f})` },
};

/**
 * What does not merge over a group's devices: a rank over all of their numbers. Asked of each
 * group's devices together, one statement per group and metric, as InfluxDB computes it.
 */
const RANKED: ReadonlySet<Aggregate> = new Set(['p50', 'p90', 'p95', 'p99', 'median']);

/** What one statement's series are, for folding them into the buckets. */
type Purpose =
  /** COUNT and InfluxQL's aggregates of one type, per bucket. */
  | { kind: 'aggregates'; metric: string; type: ValueType }
  /** The percentiles and MEDIAN of one group's numbers, pooled, per bucket. */
  | { kind: 'ranked'; metric: string; group: string }
  /** The numbers themselves, for their exact sum (and exact squares, and a counter's steps). */
  | { kind: 'numbers'; metric: string }
  /** Each device's last number before the range: the first step's previous point (INCREASE). */
  | { kind: 'previous'; metric: string }
  /** How many values are true, per bucket: the MEAN of booleans. */
  | { kind: 'trues'; metric: string };

/** Everything read about one metric in one bucket of one device (or group). */
interface Cell {
  counts: Partial<Record<ValueType, number>>;
  /** Per type, the columns of its aggregates statements but COUNT (first, last, min, ...). */
  selected: Partial<Record<ValueType, Record<string, InfluxValue>>>;
  sum?: ExactSum;
  /** Numbers summed (the same read as `sum`, so the mean never mixes two reads). */
  summed?: number;
  /** The numbers' exact sums of powers, for STDDEV (the same read again). */
  moments?: ExactMoments;
  /** The numbers themselves, for the percentiles InfluxQL cannot rank exactly. */
  numbers?: number[];
  /** The exact sum of a counter's steps to the bucket's numbers (INCREASE). */
  increase?: ExactSum;
  trues?: number;
  /** FIRST and LAST with their times, per type, when the bucket mixes types. */
  timed?: { first?: [number, MetricValue]; last?: [number, MetricValue] };
}

export interface InfluxAggregateQuery {
  http: ReturnType<typeof createInfluxHttp>;
  /** The quoted measurement. */
  from: string;
  /** The WHERE clause of every statement (organization, devices, time range) and its params. */
  where: string;
  params: Record<string, BoundValue>;
  /** What selects one device and one time range, for the FIRST and LAST of a mixed bucket. */
  scopeOf: (deviceParam: string, fromParam: string, toParam: string) => string;
  /** Metrics with their value types. */
  metrics: ReadonlyMap<string, readonly ValueType[]>;
  /** Query range, bucket width and origin (buckets.ts), epoch ms. */
  range: { from: number; to: number; every: number; origin?: number };
  aggregates: readonly Aggregate[];
  /** AggregateQuery.percentiles: asked besides the aggregates, answered in this order. */
  percentiles: readonly number[];
  /**
   * For INCREASE and RATE with AggregateQuery.counterFrom before the range: the WHERE clause of
   * the same devices over [counterFrom, from) (bound in `params`), for each one's previous point.
   */
  before?: string;
  groupBy: string;
  /**
   * Devices pooled into groups (no FIRST or LAST asked): `groupOf` each device's group key, and
   * `whereOf` per group the WHERE clause of its devices alone (bound in `params`). The statements
   * stay grouped by device, and what merges (COUNT, MIN, MAX, the numbers, the trues) is folded
   * into the group's buckets; percentiles and MEDIAN do not merge, so they are asked of each
   * group's devices together, one statement per group and metric. STDDEV merges: a group's exact
   * count, sum and sum of squares are its devices' (domain/exact-moments.ts).
   */
  pools?: { groupOf: ReadonlyMap<string, string>; whereOf: ReadonlyMap<string, string> };
}

/**
 * Buckets of every device (or group, `pools`), computed as the DuckDB store computes them
 * (domain/telemetry.ts), starting at the query's origin + k·every (buckets.ts): per metric and
 * value type, one statement with COUNT and InfluxQL's own aggregates of that type; for SUM, MEAN,
 * STDDEV, INCREASE and RATE of numbers, the numbers themselves, summed exactly as they stream in
 * (domain/exact-sum.ts: InfluxQL's SUM() adds shards' partial sums in no fixed order, and has no
 * exact sum; domain/exact-moments.ts; domain/counters.ts, each device's numbers coming in time
 * order), holding running sums per bucket, never the points (but for percentiles InfluxQL cannot
 * rank); for MEAN of booleans, the COUNT of true values. All in
 * one round trip; a second only for FIRST or LAST of a bucket whose values are of several types
 * (GROUP BY time() reports no time for a value, so each type's first and last are asked alone).
 */
export async function influxAggregates(q: InfluxAggregateQuery): Promise<Map<string, Bucket[]>> {
  const wanted = new Set(q.aggregates);
  const statements: string[] = [];
  const purposes: Purpose[] = [];
  const { every } = q.range;
  const offset = bucketOffset(every, q.range.origin);
  const byTime = `time(${every}ms, ${offset}ms)`;
  const groupBy = `GROUP BY ${byTime}, ${q.groupBy} fill(none)`;
  const ofGroups = (name: Aggregate) => q.pools !== undefined && RANKED.has(name);
  // SPREAD is MAX - MIN of what InfluxQL selects.
  const selected = new Set<Aggregate>(wanted);
  if (wanted.has('spread')) for (const end of ['min', 'max'] as const) selected.add(end);
  const moments = wanted.has('stddev');
  // INCREASE from the numbers as they stream in, each device's in time order: the steps, summed
  // exactly per bucket (domain/counters.ts); the point before the range first, when asked.
  const counters = wanted.has('increase') || wanted.has('rate');
  // PERCENTILE(f, p) of a whole p takes InfluxQL's rank floor(n * p / 100 + 0.5) in doubles,
  // which is exact then (n * p is an integer; a tie at .5 is exact too), but it answers nothing
  // for rank 0 (p < 50 of few numbers), where the rank is clamped to 1: MIN. Any other p could
  // have its rank moved by the rounding of p * n / 100, so its numbers are read and ranked here.
  const whole = q.percentiles.map((p) => Number.isInteger(p));
  const held = whole.includes(false);
  if (q.percentiles.some((p, i) => whole[i] && p < 50)) selected.add('min');
  for (const [metric, types] of q.metrics) {
    for (const type of types) {
      const f = typed(metric, type);
      const summed =
        type === 'number' &&
        (wanted.has('sum') || wanted.has('mean') || moments || held || counters);
      const selections = [`COUNT(${f}) AS "count"`];
      const ranked: string[] = [];
      for (const name of selected) {
        const selection = SELECTIONS[type][name];
        if (selection) {
          (ofGroups(name) ? ranked : selections).push(
            `${selection(f)} AS ${quoteIdentifier(name)}`,
          );
        }
      }
      if (type === 'number') {
        q.percentiles.forEach((p, i) => {
          // p is a whole number from 1 to 100 here: nothing of the user's but its digits.
          if (whole[i]) (q.pools ? ranked : selections).push(`PERCENTILE(${f}, ${p}) AS "pct${i}"`);
        });
      }
      // The numbers read counts them too: COUNT alone need not be asked again.
      if (!summed || selections.length > 1) {
        statements.push(
          `SELECT ${selections.join(', ')} FROM ${q.from} WHERE ${q.where} ${groupBy}`,
        );
        purposes.push({ kind: 'aggregates', metric, type });
      }
      if (summed && counters && q.before) {
        statements.push(`SELECT LAST(${f}) FROM ${q.from} WHERE ${q.before} GROUP BY ${q.groupBy}`);
        purposes.push({ kind: 'previous', metric });
      }
      if (summed) {
        statements.push(`SELECT ${f} FROM ${q.from} WHERE ${q.where} GROUP BY ${q.groupBy}`);
        purposes.push({ kind: 'numbers', metric });
      }
      if (type === 'boolean' && wanted.has('mean')) {
        statements.push(
          `SELECT COUNT(${f}) AS "count" FROM ${q.from} WHERE ${q.where} AND ${f} = true ${groupBy}`,
        );
        purposes.push({ kind: 'trues', metric });
      }
      if (q.pools && ranked.length > 0) {
        for (const [group, where] of q.pools.whereOf) {
          statements.push(
            `SELECT ${ranked.join(', ')} FROM ${q.from} WHERE ${where} GROUP BY ${byTime} fill(none)`,
          );
          purposes.push({ kind: 'ranked', metric, group });
        }
      }
    }
  }
  const cells = new Map<string, Map<number, Map<string, Cell>>>();
  if (statements.length === 0) return new Map();

  const cellOf = (key: string, start: number, metric: string): Cell => {
    let byStart = cells.get(key);
    if (!byStart) cells.set(key, (byStart = new Map()));
    let byMetric = byStart.get(start);
    if (!byMetric) byStart.set(start, (byMetric = new Map()));
    let cell = byMetric.get(metric);
    if (!cell) byMetric.set(metric, (cell = { counts: {}, selected: {} }));
    return cell;
  };
  // A series is a device's, folded into the device's buckets or its group's, or a group's own.
  const keyOf = (purpose: Purpose, deviceId: string | undefined) =>
    purpose.kind === 'ranked'
      ? purpose.group
      : deviceId === undefined || !q.pools
        ? deviceId
        : q.pools.groupOf.get(deviceId);
  // Per metric and device, the last number read: a series may come in several chunks.
  const previous = new Map<string, number>();
  await q.http.queryEach(statements.join('; '), q.params, (statement, series) => {
    const purpose = purposes[statement]!;
    const deviceId = series.tags?.device_id;
    const key = keyOf(purpose, deviceId);
    if (key === undefined) return;
    const chain = `${purpose.metric}\u0000${deviceId}`;
    if (purpose.kind === 'previous') {
      const value = series.values[0]?.[1];
      if (typeof value === 'number') previous.set(chain, value);
      return;
    }
    if (purpose.kind === 'numbers') {
      let start = Number.NaN;
      let cell: Cell | undefined;
      for (const [ts, value] of series.values) {
        const own = bucketStart(Number(ts), every, offset);
        if (own !== start || !cell) {
          start = own;
          cell = cellOf(key, start, purpose.metric);
          cell.sum ??= new ExactSum();
          cell.summed ??= 0;
          if (moments) cell.moments ??= new ExactMoments();
          if (held) cell.numbers ??= [];
          if (counters) cell.increase ??= new ExactSum();
        }
        const number = value as number;
        cell.sum!.add(number);
        cell.summed! += 1;
        cell.moments?.add(number);
        cell.numbers?.push(number);
        if (counters) {
          const before = previous.get(chain);
          if (before !== undefined) {
            // A step past the largest double is left out, as DuckDB's SQL leaves it out.
            const step = counterStep(before, number);
            if (Number.isFinite(step)) cell.increase!.add(step);
          }
          previous.set(chain, number);
        }
      }
      return;
    }
    if (purpose.kind === 'trues') {
      for (const [start, trues] of series.values) {
        const cell = cellOf(key, Number(start), purpose.metric);
        cell.trues = (cell.trues ?? 0) + Number(trues);
      }
      return;
    }
    const type = purpose.kind === 'ranked' ? 'number' : purpose.type;
    for (const row of series.values) {
      const cell = cellOf(key, Number(row[0]), purpose.metric);
      const selected = (cell.selected[type] ??= {});
      series.columns.forEach((column, position) => {
        if (column === 'count') {
          cell.counts[type] = (cell.counts[type] ?? 0) + Number(row[position]);
        } else if (position > 0) merge(selected, column, row[position]!);
      });
    }
  });

  for (const byStart of cells.values()) {
    for (const byMetric of byStart.values()) {
      for (const cell of byMetric.values()) {
        if (cell.summed !== undefined) cell.counts.number ??= cell.summed;
      }
    }
  }
  if (wanted.has('first') || wanted.has('last')) await timeMixedEnds(q, cells);

  const percentiles = q.percentiles.map((percentile, i) => ({
    percentile,
    column: whole[i] ? `pct${i}` : undefined,
    rankOf: nearestRankOf(percentile),
  }));
  const result = new Map<string, Bucket[]>();
  for (const [deviceId, byStart] of cells) {
    const buckets: Bucket[] = [];
    for (const start of [...byStart.keys()].sort((a, b) => a - b)) {
      const bucket: Bucket = { start, values: {}, types: {} };
      const byMetric = byStart.get(start)!;
      for (const metric of [...byMetric.keys()].sort(compareMetricNames)) {
        const cell = byMetric.get(metric)!;
        const types = (Object.keys(cell.counts) as ValueType[])
          .filter((type) => cell.counts[type]! > 0)
          .sort();
        // A bucket seen only by a read that raced a write (a sum without its count): skipped.
        if (types.length === 0) continue;
        bucket.values[metric] = valuesOf(cell, types, q.aggregates, percentiles, () =>
          rateOf(increaseOf(cell), start, q.range),
        );
        bucket.types[metric] = types;
      }
      if (Object.keys(bucket.values).length > 0) buckets.push(bucket);
    }
    if (buckets.length > 0) result.set(deviceId, buckets);
  }
  return result;
}

/**
 * One column of a series' row into a cell's: the MIN and MAX of a group are those of its devices'
 * rows; any other column comes from one series only (a device's, or its group's percentiles and
 * MEDIAN).
 */
function merge(selected: Record<string, InfluxValue>, column: string, value: InfluxValue) {
  const known = selected[column];
  if (known === undefined || known === null) selected[column] = value;
  else if (value === null) return;
  else if (column === 'min') selected.min = Math.min(Number(known), Number(value));
  else if (column === 'max') selected.max = Math.max(Number(known), Number(value));
  else selected[column] = value;
}

/** A percentile asked: InfluxQL's column for a whole p, else the rank to take of the numbers. */
interface AskedPercentile {
  percentile: number;
  column: string | undefined;
  rankOf: (count: number) => number;
}

/** INCREASE of a cell: its steps' exact sum, 0 without steps, null without numbers. */
const increaseOf = (cell: Cell) =>
  (cell.counts.number ?? 0) > 0 ? (cell.increase?.value() ?? 0) : null;

function valuesOf(
  cell: Cell,
  types: readonly ValueType[],
  aggregates: readonly Aggregate[],
  percentiles: readonly AskedPercentile[],
  rate: () => number | null,
): AggregateValues {
  const numbers = cell.selected.number;
  const count = types.reduce((total, type) => total + cell.counts[type]!, 0);
  const sum = cell.sum && cell.summed ? cell.sum.value() : null;
  const values: AggregateValues = {};
  for (const name of aggregates) {
    if (name === 'count') values.count = count;
    else if (name === 'sum') values.sum = sum;
    else if (name === 'mean') {
      const booleans = cell.counts.boolean ?? 0;
      values.mean =
        sum !== null
          ? sum / cell.summed!
          : booleans > 0 && !cell.counts.number
            ? (cell.trues ?? 0) / booleans
            : null;
    } else if (name === 'first' || name === 'last') {
      values[name] =
        types.length === 1
          ? ((cell.selected[types[0]!]?.[name] ?? null) as MetricValue | null)
          : (cell.timed?.[name]?.[1] ?? null);
    } else if (name === 'stddev') values.stddev = cell.moments?.stddev() ?? null;
    else if (name === 'increase') values.increase = increaseOf(cell);
    else if (name === 'rate') values.rate = rate();
    else if (name === 'spread') {
      const [min, max] = [numbers?.min, numbers?.max];
      values.spread = typeof min === 'number' && typeof max === 'number' ? max - min : null;
    } else values[name] = (numbers?.[name] ?? null) as number | null;
  }
  if (percentiles.length > 0) {
    const counted = (cell.counts.number ?? 0) > 0;
    const sorted = cell.numbers ? Float64Array.from(cell.numbers).sort() : undefined;
    values.percentiles = percentiles.map(({ percentile, column, rankOf }) => ({
      percentile,
      value: !counted
        ? null
        : column === undefined
          ? percentileOfSorted(sorted ?? [], rankOf)
          : ((numbers?.[column] ?? numbers?.min ?? null) as number | null),
    }));
  }
  return values;
}

/**
 * FIRST and LAST of the buckets whose values are of several types: each type's earliest and
 * latest value with its time (FIRST() without GROUP BY time() reports the point's own time),
 * within the bucket and the query range, all in one round trip.
 */
async function timeMixedEnds(
  q: InfluxAggregateQuery,
  cells: Map<string, Map<number, Map<string, Cell>>>,
) {
  const statements: string[] = [];
  const targets: { cell: Cell; end: 'first' | 'last' }[] = [];
  const params: Record<string, BoundValue> = { ...q.params };
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const [deviceId, byStart] of cells) {
    for (const [start, byMetric] of byStart) {
      for (const [metric, cell] of byMetric) {
        const types = (Object.keys(cell.counts) as ValueType[]).filter((t) => cell.counts[t]! > 0);
        if (types.length < 2) continue;
        const n = targets.length;
        params[`md${n}`] = deviceId;
        params[`mf${n}`] = iso(Math.max(start, q.range.from));
        params[`mt${n}`] = iso(Math.min(start + q.range.every, q.range.to));
        const scope = q.scopeOf(`$md${n}`, `$mf${n}`, `$mt${n}`);
        for (const type of types) {
          for (const end of ['first', 'last'] as const) {
            statements.push(
              `SELECT ${end.toUpperCase()}(${typed(metric, type)}) FROM ${q.from} WHERE ${scope}`,
            );
            targets.push({ cell, end });
          }
        }
      }
    }
  }
  if (statements.length === 0) return;
  await q.http.queryEach(statements.join('; '), params, (statement, series) => {
    const { cell, end } = targets[statement]!;
    const row = series.values[0];
    if (!row || row[1] === null || row[1] === undefined) return;
    const ts = Number(row[0]);
    cell.timed ??= {};
    const known = cell.timed[end];
    if (!known || (end === 'first' ? ts < known[0] : ts > known[0])) {
      cell.timed[end] = [ts, row[1]];
    }
  });
}
