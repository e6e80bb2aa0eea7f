import type { Aggregate } from '../../domain/telemetry.js';

/**
 * The DuckDB layout. `telemetry` is append-only, one row per (point, metric), written with the
 * Appender: an upsert on a primary key costs ~6x the append. A point written twice is
 * two sets of rows; readers keep, per (org, device, ts, metric), the row with the highest `seq`
 * (write order), and compaction deletes the superseded rows. `telemetry_latest` holds each
 * metric's newest value so `latest()` reads a few rows instead of every device's history; it is
 * upserted once per write batch, with at most one row per (device, metric) in the batch.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS telemetry (
  org_id VARCHAR NOT NULL,
  device_id VARCHAR NOT NULL,
  ts BIGINT NOT NULL,
  metric VARCHAR NOT NULL,
  num DOUBLE,
  bool BOOLEAN,
  str VARCHAR,
  seq BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS telemetry_latest (
  org_id VARCHAR NOT NULL,
  device_id VARCHAR NOT NULL,
  metric VARCHAR NOT NULL,
  ts BIGINT NOT NULL,
  num DOUBLE,
  bool BOOLEAN,
  str VARCHAR,
  PRIMARY KEY (org_id, device_id, metric)
);
CREATE TABLE IF NOT EXISTS telemetry_meta (key VARCHAR PRIMARY KEY, value BIGINT NOT NULL);
`;

/** Per-connection staging for the batch's latest values (TEMP: never persisted). */
export const STAGING_SQL = `
CREATE TEMP TABLE latest_staging (
  org_id VARCHAR, device_id VARCHAR, metric VARCHAR, ts BIGINT, num DOUBLE, bool BOOLEAN, str VARCHAR
);
`;

/** `>=`: at an equal ts the later write wins, as it does for the point rows. */
export const MERGE_LATEST_SQL = `
INSERT INTO telemetry_latest SELECT * FROM latest_staging
ON CONFLICT (org_id, device_id, metric) DO UPDATE
SET ts = excluded.ts, num = excluded.num, bool = excluded.bool, str = excluded.str
WHERE excluded.ts >= telemetry_latest.ts;
DELETE FROM latest_staging;
`;

export const LATEST_SQL = `
SELECT device_id, metric, ts, num, bool, str FROM telemetry_latest
WHERE org_id = $org AND list_contains($devices, device_id)
`;

/**
 * Rows of one device ($device) or of several ($devices) in [$lo, $to), duplicates collapsed to
 * the last write, each row's value as a struct `v` of num, bool and str (one of them set). arg_max
 * of a struct, not of a column: arg_max skips NULL arguments, which would resurrect an overwritten
 * number when the last write of that metric was a string. `kinds` keeps only whether the value is
 * a string (str is then a BOOLEAN), for reads that never show a string: no text is carried along.
 */
function collapsedRows(
  columns: 'value' | 'kinds',
  metricFilter: boolean,
  devices: 'one' | 'many',
): string {
  const str = columns === 'value' ? 'str' : 'CASE WHEN str IS NOT NULL THEN true END';
  const device = devices === 'one' ? 'device_id = $device' : 'list_contains($devices, device_id)';
  return `
  SELECT device_id, ts, metric, arg_max({'num': num, 'bool': bool, 'str': ${str}}, seq) AS v
  FROM telemetry
  WHERE org_id = $org AND ${device} AND ts >= $lo AND ts < $to
    ${metricFilter ? 'AND list_contains($metrics, metric)' : ''}
  GROUP BY device_id, ts, metric`;
}

/** Points are paged, not rows: the page holds whole points (every requested metric of each ts). */
export function rawSql(metricFilter: boolean): string {
  return `
WITH rows AS (${collapsedRows('value', metricFilter, 'one')}),
page AS (SELECT DISTINCT ts FROM rows ORDER BY ts LIMIT $limit)
SELECT ts, metric, v.num AS num, v.bool AS bool, v.str AS str
FROM rows SEMI JOIN page USING (ts)
ORDER BY ts, metric`;
}

/**
 * Over the bucket's numbers, except FIRST and LAST: the earliest and latest value by time, of any
 * type (the whole struct; ts is unique per device and metric once rows are collapsed). COUNT and
 * MEAN are computed from the counts every bucket has (see aggregateSql), SUM and MEAN of numbers
 * from EXACT_SUM_SQL.
 */
const PLAIN_AGGREGATES: Partial<Record<Aggregate, string>> = {
  min: 'min(num)',
  max: 'max(num)',
  first: 'arg_min(v, ts)',
  last: 'arg_max(v, ts)',
};

const PERCENTILES: Partial<Record<Aggregate, number>> = { p50: 50, p90: 90, p95: 95, p99: 99 };

/**
 * InfluxQL PERCENTILE's nearest rank: i = floor(n * p / 100 + 0.5) - 1 (0-based), clamped to the
 * list. Done in integers, (n * p + 50) // 100, so no float rounding can move the index; DuckDB's
 * quantile_disc uses another rank rule and would disagree with InfluxDB.
 */
function percentileSql(p: number): string {
  return `sorted[greatest(1, least(n_num, (n_num * ${p} + 50) // 100))]`;
}

/**
 * SUM and MEAN exactly. DuckDB's sum() and avg() add doubles in whatever order its threads meet
 * the rows, so their last bits change from one read to the next (and differ from InfluxDB's).
 * Integers add up exactly in any order: each number x is k binary places from an integer of at
 * most 55 bits, k = 53 - floor(log2|x|) (log2 may be one off near a power of two, which only moves
 * the integer by a bit), x * 2^k is that integer (a product by a power of two is exact; it is
 * taken in two halves so no factor overflows), and the integers of one k are summed as HUGEINT.
 * The store adds up the few (k, sum) parts of a bucket exactly and rounds once (exact-sum.ts).
 */
const EXACT_SUM_SQL = `
parts AS (
  SELECT device_id, bucket, metric, k,
    sum(CAST(num * pow(2, k // 2) * pow(2, k - k // 2) AS BIGINT)) AS s
  FROM (
    SELECT device_id, bucket, metric, num, 53 - CAST(floor(log2(abs(num))) AS INTEGER) AS k
    FROM cells WHERE num IS NOT NULL AND num <> 0
  )
  GROUP BY device_id, bucket, metric, k
),
sums AS (
  SELECT device_id, bucket, metric, list({'k': k, 's': s}) AS sum_parts
  FROM parts GROUP BY device_id, bucket, metric
)`;

/**
 * Buckets of every device in $devices, in (device, bucket, metric) order. Every bucket has
 * `n_num`, `n_bool` and `n_str`, its values of each type (the types and COUNT follow), `n_true`
 * when MEAN is asked (the MEAN of booleans), then the requested aggregates, with `sum_parts` (see
 * EXACT_SUM_SQL) in place of SUM and MEAN of numbers. Every aggregate's SQL is a fixed fragment
 * chosen by name from the lists above; user input (devices, metrics, times, bucket width) only
 * ever reaches the query as bound parameters.
 */
export function aggregateSql(aggregates: readonly Aggregate[]): string {
  const wanted = new Set(aggregates);
  const inner: string[] = ['count(num) AS n_num', 'count(bool) AS n_bool', 'count(str) AS n_str'];
  const outer: string[] = ['n_num', 'n_bool', 'n_str'];
  if (wanted.has('mean')) {
    inner.push('count_if(bool) AS n_true');
    outer.push('n_true');
  }
  for (const name of wanted) {
    const plain = PLAIN_AGGREGATES[name];
    const percentile = PERCENTILES[name];
    if (plain !== undefined) inner.push(`${plain} AS "${name}"`);
    if (plain !== undefined) outer.push(`"${name}"`);
    if (percentile !== undefined) outer.push(`${percentileSql(percentile)} AS "${name}"`);
  }
  if (aggregates.some((name) => PERCENTILES[name] !== undefined)) {
    inner.push('list_sort(list(num) FILTER (WHERE num IS NOT NULL)) AS sorted');
  }
  const exact = wanted.has('sum') || wanted.has('mean');
  if (exact) outer.push('sum_parts');
  // Strings are only ever shown by FIRST and LAST; other reads carry whether a value is one.
  const columns = wanted.has('first') || wanted.has('last') ? 'value' : 'kinds';
  return `
WITH rows AS (${collapsedRows(columns, true, 'many')}),
cells AS (
  SELECT device_id, ts - ((ts % $every) + $every) % $every AS bucket, metric, ts, v,
    v.num AS num, v.bool AS bool, v.str AS str
  FROM rows
),
buckets AS (
  SELECT device_id, bucket, metric, ${inner.join(', ')}
  FROM cells GROUP BY device_id, bucket, metric
)${exact ? `,${EXACT_SUM_SQL}` : ''}
SELECT device_id, bucket, metric, ${outer.join(', ')}
FROM buckets${exact ? ' LEFT JOIN sums USING (device_id, bucket, metric)' : ''}
ORDER BY device_id, bucket, metric`;
}

/**
 * Deletes rows superseded by a later write of the same (org, device, ts, metric). Only the ts
 * range touched since the last compaction is grouped: data arrives roughly in time order, so the
 * range is recent and DuckDB's min/max zone maps skip the rest of the table.
 */
export const COMPACT_SQL = `
DELETE FROM telemetry AS t USING (
  SELECT org_id, device_id, ts, metric, max(seq) AS keep_seq
  FROM telemetry
  WHERE ts BETWEEN $lo AND $hi
  GROUP BY org_id, device_id, ts, metric
  HAVING count(*) > 1
) AS d
WHERE t.org_id = d.org_id AND t.device_id = d.device_id AND t.ts = d.ts AND t.metric = d.metric
  AND t.seq < d.keep_seq AND t.ts BETWEEN $lo AND $hi
`;
