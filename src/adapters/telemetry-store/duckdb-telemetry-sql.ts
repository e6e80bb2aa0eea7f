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
 * the last write. arg_max of a struct, not of the column: arg_max skips NULL arguments, which
 * would resurrect an overwritten number when the last write of that metric was a string.
 */
function collapsedRows(
  columns: 'num' | 'value',
  metricFilter: boolean,
  devices: 'one' | 'many',
): string {
  const value =
    columns === 'num'
      ? `arg_max({'v': num}, seq).v AS num`
      : `arg_max({'num': num, 'bool': bool, 'str': str}, seq) AS v`;
  const device = devices === 'one' ? 'device_id = $device' : 'list_contains($devices, device_id)';
  return `
  SELECT device_id, ts, metric, ${value}
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

/** SUM and MEAN are not here: see EXACT_SUM_SQL. */
const PLAIN_AGGREGATES: Partial<Record<Aggregate, string>> = {
  min: 'min(num)',
  max: 'max(num)',
  count: 'count(num)',
  first: 'arg_min(num, ts)',
  last: 'arg_max(num, ts)',
};

const PERCENTILES: Partial<Record<Aggregate, number>> = { p50: 50, p90: 90, p95: 95, p99: 99 };

/**
 * InfluxQL PERCENTILE's nearest rank: i = floor(n * p / 100 + 0.5) - 1 (0-based), clamped to the
 * list. Done in integers, (n * p + 50) // 100, so no float rounding can move the index; DuckDB's
 * quantile_disc uses another rank rule and would disagree with InfluxDB.
 */
function percentileSql(p: number): string {
  return `sorted[greatest(1, least(n, (n * ${p} + 50) // 100))]`;
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
    FROM cells WHERE num <> 0
  )
  GROUP BY device_id, bucket, metric, k
),
sums AS (
  SELECT device_id, bucket, metric, list({'k': k, 's': s}) AS sum_parts
  FROM parts GROUP BY device_id, bucket, metric
)`;

/**
 * Buckets of every device in $devices, in (device, bucket, metric) order: `n`, the number of
 * numbers, the requested aggregates, and `sum_parts` (see EXACT_SUM_SQL) in place of SUM and MEAN.
 * Every aggregate's SQL is a fixed fragment chosen by name from the lists above; user input
 * (devices, metrics, times, bucket width) only ever reaches the query as bound parameters.
 */
export function aggregateSql(aggregates: readonly Aggregate[]): string {
  const inner: string[] = ['count(num) AS n'];
  const outer: string[] = ['n'];
  const exact = aggregates.includes('sum') || aggregates.includes('mean');
  for (const name of new Set(aggregates)) {
    const plain = PLAIN_AGGREGATES[name];
    const percentile = PERCENTILES[name];
    if (plain !== undefined) inner.push(`${plain} AS "${name}"`);
    if (plain !== undefined) outer.push(`"${name}"`);
    if (percentile !== undefined) outer.push(`${percentileSql(percentile)} AS "${name}"`);
  }
  if (aggregates.some((name) => PERCENTILES[name] !== undefined)) {
    inner.push('list_sort(list(num)) AS sorted');
  }
  if (exact) outer.push('sum_parts');
  return `
WITH rows AS (${collapsedRows('num', true, 'many')}),
cells AS (
  SELECT device_id, ts - ((ts % $every) + $every) % $every AS bucket, metric, ts, num
  FROM rows WHERE num IS NOT NULL
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
