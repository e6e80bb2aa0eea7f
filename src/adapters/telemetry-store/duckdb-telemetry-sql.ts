import type { Aggregate } from '../../domain/telemetry.js';

/**
 * The DuckDB layout. `telemetry` is append-only, one row per (point, metric), written with the
 * Appender: an upsert on a primary key costs ~6x the append. A point written twice is
 * two sets of rows; readers keep, per (org, device, ts, metric), the row with the highest `seq`
 * (write order), and compaction deletes the superseded rows. `telemetry_latest` holds each
 * metric's newest value so `latest()` reads a few rows instead of every device's history; it is
 * written behind the points (duckdb-latest-writer.ts), one row per (device, metric) at a time.
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

/**
 * The newest value per (org, device, metric) among the rows from seq $from on, merged as a write
 * would (duckdb-latest-writer.ts recoverLatest): at an equal ts the later write (higher seq) wins.
 */
export const RECOVER_LATEST_SQL = `
INSERT INTO telemetry_latest
SELECT org_id, device_id, metric, ts, num, bool, str FROM (
  SELECT org_id, device_id, metric, ts, num, bool, str,
    row_number() OVER (PARTITION BY org_id, device_id, metric ORDER BY ts DESC, seq DESC) AS newest
  FROM telemetry WHERE seq >= $from
) WHERE newest = 1
ON CONFLICT (org_id, device_id, metric) DO UPDATE
SET ts = excluded.ts, num = excluded.num, bool = excluded.bool, str = excluded.str
WHERE excluded.ts >= telemetry_latest.ts;
`;

export const LATEST_SQL = `
SELECT device_id, metric, ts, num, bool, str FROM telemetry_latest
WHERE org_id = $org AND list_contains($devices, device_id)
`;

/**
 * Rows of one device ($device) or of several ($devices) in [$lo, $to), duplicates collapsed to
 * the last write, each row's value as a struct `v` of num, bool and str (one of them set). arg_max
 * of a struct, not of a column: arg_max skips NULL arguments, which would resurrect an overwritten
 * number when the last write of that metric was a string. `kinds` leaves str out, for reads that
 * never show a string (a value with neither num nor bool is one): no text is carried along.
 */
function collapsedRows(
  columns: 'value' | 'kinds',
  metricFilter: boolean,
  devices: 'one' | 'many',
  lowerBound: '$lo' | '$since' = '$lo',
): string {
  const struct =
    columns === 'value' ? `{'num': num, 'bool': bool, 'str': str}` : `{'num': num, 'bool': bool}`;
  const device = devices === 'one' ? 'device_id = $device' : 'list_contains($devices, device_id)';
  return `
  SELECT device_id, ts, metric, arg_max(${struct}, seq) AS v
  FROM telemetry
  WHERE org_id = $org AND ${device} AND ts >= ${lowerBound} AND ts < $to
    ${metricFilter ? 'AND list_contains($metrics, metric)' : ''}
  GROUP BY device_id, ts, metric`;
}

/**
 * The last time of a page of raw points: the $limit-th distinct time from $lo (or the last one
 * before $to), taken from the first $rows rows by time, a top-N of integers that DuckDB reads only
 * as far as it must (a DISTINCT over the range, or collapsing every row up to $to, reads all of it
 * for each page and made an export quadratic in its length). `complete` says whether those rows
 * held the whole page: they did when they held $limit times or were all the rows there are; else
 * the caller asks again with more rows.
 */
export function rawPageEndSql(metricFilter: boolean): string {
  return `
WITH head AS (
  SELECT ts FROM telemetry
  WHERE org_id = $org AND device_id = $device AND ts >= $lo AND ts < $to
    ${metricFilter ? 'AND list_contains($metrics, metric)' : ''}
  ORDER BY ts LIMIT $rows
),
times AS (SELECT DISTINCT ts FROM head ORDER BY ts LIMIT $limit)
SELECT (SELECT max(ts) FROM times) AS last,
  (SELECT count(*) FROM times) = $limit OR (SELECT count(*) FROM head) < $rows AS complete`;
}

/** A page's points (every requested metric of each time in [$lo, $last]), as last written. */
export function rawSql(metricFilter: boolean): string {
  return `
WITH rows AS (${collapsedRows('value', metricFilter, 'one')})
SELECT ts, metric, v.num AS num, v.bool AS bool, v.str AS str
FROM rows
ORDER BY ts, metric`;
}

const PERCENTILES: Partial<Record<Aggregate, number>> = { p50: 50, p90: 90, p95: 95, p99: 99 };

/**
 * InfluxQL PERCENTILE's nearest rank: i = floor(n * p / 100 + 0.5) - 1 (0-based), clamped to the
 * list. Done in integers, (n * p + 50) // 100, so no float rounding can move the index; DuckDB's
 * quantile_disc uses another rank rule and would disagree with InfluxDB.
 */
function percentileSql(p: number): string {
  return `nums[greatest(1, least(n_num::BIGINT, (n_num::BIGINT * ${p} + 50) // 100))]`;
}

/**
 * The i-th percentile asked as an argument (AggregateQuery.percentiles): the same rank for any
 * 0 < p ≤ 100, (2·n·a + b) // 2b for p / 100 = a / b (domain/order-statistics.ts), with 2a, b and
 * 2b bound as $pa<i>, $pb<i> and $pc<i>, HUGEINTs: user input never reaches the SQL text.
 */
function askedPercentileSql(i: number): string {
  const rank = `(n_num::HUGEINT * $pa${i} + $pb${i}) // $pc${i}`;
  return `nums[greatest(1, least(n_num::BIGINT, (${rank})::BIGINT))]`;
}

/**
 * SUM and MEAN exactly. DuckDB's sum() and avg() add doubles in whatever order its threads meet
 * the rows, so their last bits change from one read to the next (and differ from InfluxDB's).
 * Integers add up exactly in any order. A double x is an integer of at most 55 bits once scaled
 * by 2^(53 - floor(log2|x|)) (log2 may be one off near a power of two, which only moves it by a
 * bit); k rounds that exponent up to a multiple of 32, so x * 2^k is still an integer, below
 * 2^86, and the numbers of a bucket usually share one k (they would have to span more than 32
 * binary orders of magnitude not to). x * 2^k is exact (a product by a power of two; taken in two
 * halves so no factor overflows), and the integers of one k are summed as HUGEINT, exactly for up
 * to 2^41 of them. The store adds up the (k, sum) parts of a bucket exactly and rounds once
 * (domain/exact-sum.ts): `sum_k` and `sum_s` when there is one part, the common case (a list of structs
 * costs JavaScript ten times as much to read), `sum_parts` when there are several.
 *
 * STDDEV needs the exact sum of the squares too (domain/exact-moments.ts). X = x * 2^k squared
 * would pass HUGEINT's 2^127, so X is cut into h * 2^43 + l (|h|, |l| < 2^43) and the part sums
 * Σh², Σh·l and Σl² (each term below 2^86) as `sum_q2`, `sum_q1`, `sum_q0`: ΣX² is
 * q2 * 2^86 + q1 * 2^44 + q0, exactly.
 */
export const exponentSql = (x: string) => `CASE WHEN ${x} <> 0
    THEN 32 * CAST(ceil((53 - floor(log2(abs(${x})))) / 32) AS INTEGER) END`;
export const scaledSql = (x: string) =>
  `CAST(${x} * pow(2, k // 2) * pow(2, k - k // 2) AS HUGEINT)`;
const HALF = '8796093022208';
export const SQUARE_PARTS_SQL = `sum((x // ${HALF}) * (x // ${HALF})) AS q2,
    sum((x // ${HALF}) * (x % ${HALF})) AS q1, sum((x % ${HALF}) * (x % ${HALF})) AS q0`;

/** The start of the bucket of `ts`: $offset + k·$every (buckets.ts bucketStart). */
export const bucketSql = (ts: string, every = '$every', offset = '$offset') =>
  `${ts} - (((${ts} - ${offset}) % ${every}) + ${every}) % ${every}`;
const BUCKET_SQL = bucketSql('ts');

/**
 * INCREASE (domain/counters.ts): each device's numbers of a metric in time order (a window over
 * the collapsed rows, from $since, which may be before $lo: the previous point of the first one
 * in range), the step to each one in [$lo, $to) in its bucket, and the steps summed exactly per
 * bucket as the numbers are for SUM (`inc_n` parts, `inc_k` and `inc_s` for one, `inc_parts` for
 * several). A step past the largest double (from below -8.9e307 to above 8.9e307) is left out.
 */
function increasesSql(key: string, members: string): string {
  return `steps AS (
  SELECT series, bucket, metric, CASE WHEN num >= prev THEN num - prev ELSE num END AS step
  FROM (
    SELECT ${key} AS series, ${BUCKET_SQL} AS bucket, metric, ts, v.num AS num,
      lag(v.num) OVER (PARTITION BY device_id, metric ORDER BY ts) AS prev
    FROM rows ${members} WHERE v.num IS NOT NULL
  )
  WHERE prev IS NOT NULL AND ts >= $lo
),
step_parts AS (
  SELECT series, bucket, metric, k, sum(${scaledSql('step')}) AS s
  FROM (SELECT *, ${exponentSql('step')} AS k FROM steps WHERE step <> 0 AND isfinite(step))
  GROUP BY series, bucket, metric, k
),
increases AS (
  SELECT series, bucket, metric, count(*)::DOUBLE AS inc_n, max(k) AS inc_k, max(s) AS inc_s,
    CASE WHEN count(*) > 1 THEN list({'k': k, 's': s}) END AS inc_parts
  FROM step_parts GROUP BY series, bucket, metric
)`;
}

/**
 * What one series of buckets is, as the `series` column: a device, or a group of devices whose
 * points are pooled ($devices and $groups, two lists of the same length, zipped by unnest into
 * (device, group) pairs: unnest of two lists in one SELECT walks them side by side). The join comes
 * after collapsedRows, so a device's duplicates are collapsed before its points meet the group's.
 */
export const SERIES = {
  device: { key: 'device_id', members: '' },
  group: {
    key: 'group_key',
    members: `JOIN (SELECT unnest($devices) AS device_id, unnest($groups) AS group_key) AS members
    USING (device_id)`,
  },
} as const;

export type AggregateSeries = keyof typeof SERIES;

/**
 * Buckets of every series (above) of the devices in $devices, in (series, bucket, metric) order,
 * each starting at $offset + k·$every (buckets.ts). Every bucket has `n_num`, `n_bool` and
 * `n_str`, its values of each type (the types and COUNT follow), `n_true` when MEAN is asked (the
 * MEAN of booleans), then the requested aggregates, with the parts of the exact sums (above) in
 * place of SUM, MEAN and STDDEV of numbers, `min` and `max` for SPREAD, `median_lo` and
 * `median_hi` for MEDIAN, `pct0`.. for the `askedPercentiles` percentiles of the question, and
 * the parts of the exact sum of the steps (increasesSql) for INCREASE and RATE.
 * FIRST and LAST are the earliest and latest value of any type (the whole struct); the others are
 * over the numbers.
 *
 * One pass over the rows, grouped by (series, bucket, metric), and for an exact sum by each
 * number's k too, whose few rows per bucket are then put together. Every aggregate's SQL is a
 * fixed fragment chosen by name; user input (devices, groups, metrics, times, bucket width and
 * origin, percentiles, the start of a counter's steps) only ever reaches the query as bound
 * parameters.
 */
export function aggregateSql(
  aggregates: readonly Aggregate[],
  series: AggregateSeries,
  askedPercentiles = 0,
): string {
  const wanted = new Set(aggregates);
  const moments = wanted.has('stddev');
  const exact = wanted.has('sum') || wanted.has('mean') || moments;
  const counters = wanted.has('increase') || wanted.has('rate');
  // Each aggregate over a group of cells, and (for an exact sum, whose groups are split by k)
  // over the groups of one bucket. Counts as DOUBLE (exact below 2^53): JavaScript reads them as
  // numbers, not BigInts.
  const names: string[] = [];
  const own: string[] = [];
  const combined: string[] = [];
  const add = (name: string, ofCells: string, ofGroups: string) => {
    names.push(name);
    own.push(`${ofCells} AS ${name}`);
    combined.push(`${ofGroups} AS ${name}`);
  };
  const count = (name: string, ofCells: string) =>
    add(name, exact ? ofCells : `${ofCells}::DOUBLE`, `sum(${name})::DOUBLE`);
  count('n_num', 'count(num)');
  count('n_bool', 'count(bool)');
  count('n_str', 'count(*) - count(num) - count(bool)');
  if (wanted.has('mean')) count('n_true', 'count_if(bool)');
  // SPREAD is MAX - MIN, taken by the store from these two (no SQL overflow to guard against).
  if (wanted.has('min') || wanted.has('spread')) add('"min"', 'min(num)', 'min("min")');
  if (wanted.has('max') || wanted.has('spread')) add('"max"', 'max(num)', 'max("max")');
  for (const [end, pick] of [
    ['first', 'arg_min'],
    ['last', 'arg_max'],
  ] as const) {
    if (!wanted.has(end)) continue;
    if (exact)
      add(`"${end}"`, `${pick}({'ts': ts, 'v': v}, ts)`, `${pick}("${end}".v, "${end}".ts)`);
    else add(`"${end}"`, `${pick}(v, ts)`, '');
  }
  const percentiles = aggregates.filter((name) => PERCENTILES[name] !== undefined);
  // The numbers sorted, for the percentiles' ranks and MEDIAN's middle ones.
  if (percentiles.length > 0 || askedPercentiles > 0 || wanted.has('median')) {
    if (exact) {
      add('nums', 'list(num) FILTER (WHERE num IS NOT NULL)', 'list_sort(flatten(list(nums)))');
    } else add('nums', 'list_sort(list(num) FILTER (WHERE num IS NOT NULL))', '');
  }
  const answer = [
    ...names.filter((name) => name !== 'nums'),
    ...[...new Set(percentiles)].map((name) => `${percentileSql(PERCENTILES[name]!)} AS "${name}"`),
    ...Array.from({ length: askedPercentiles }, (_, i) => `${askedPercentileSql(i)} AS pct${i}`),
    // MEDIAN is taken from the middle ones as InfluxQL takes it (domain/order-statistics.ts).
    ...(wanted.has('median')
      ? ['nums[(n_num::BIGINT + 1) // 2] AS median_lo', 'nums[n_num::BIGINT // 2 + 1] AS median_hi']
      : []),
  ];
  // Strings are only ever shown by FIRST and LAST.
  const columns = wanted.has('first') || wanted.has('last') ? 'value' : 'kinds';
  const { key, members } = SERIES[series];
  const numbers = exact ? `, ${exponentSql('v.num')} AS k, ${scaledSql('v.num')} AS x` : '';
  // With INCREASE the rows start at $since, for the steps; the buckets' at $lo.
  const cells = `
WITH rows AS (${collapsedRows(columns, true, 'many', counters ? '$since' : '$lo')}),
cells AS (
  SELECT ${key} AS series, ${BUCKET_SQL} AS bucket, metric, ts, v, v.num AS num,
    v.bool AS bool${numbers}
  FROM rows ${members}${counters ? ' WHERE ts >= $lo' : ''}
)${counters ? `,\n${increasesSql(key, members)}` : ''}`;
  const increases = counters
    ? {
        columns: ', inc_n, inc_k, inc_s, inc_parts',
        join: ' LEFT JOIN increases USING (series, bucket, metric)',
      }
    : { columns: '', join: '' };
  if (!exact) {
    return `${cells},
buckets AS (
  SELECT series, bucket, metric, ${own.join(', ')}
  FROM cells GROUP BY series, bucket, metric
)
SELECT series, bucket, metric, ${answer.join(', ')}${increases.columns}
FROM buckets${increases.join}
ORDER BY series, bucket, metric`;
  }
  const squares = moments ? ['q2', 'q1', 'q0'] : [];
  return `${cells},
parts AS (
  SELECT series, bucket, metric, k, ${own.join(', ')}, sum(x) AS s${moments ? `, ${SQUARE_PARTS_SQL}` : ''}
  FROM cells GROUP BY series, bucket, metric, k
),
buckets AS (
  SELECT series, bucket, metric, ${combined.join(', ')},
    count(s)::DOUBLE AS n_parts, max(k) FILTER (WHERE s IS NOT NULL) AS sum_k, max(s) AS sum_s,
    ${squares.map((q) => `max(${q}) AS sum_${q}, `).join('')}CASE WHEN count(s) > 1
      THEN list({'k': k, 's': s${squares.map((q) => `, '${q}': ${q}`).join('')}}) FILTER (WHERE s IS NOT NULL)
    END AS sum_parts
  FROM parts GROUP BY series, bucket, metric
)
SELECT series, bucket, metric, ${answer.join(', ')}, n_parts, sum_k, sum_s,
  ${squares.map((q) => `sum_${q}, `).join('')}sum_parts${increases.columns}
FROM buckets${increases.join}
ORDER BY series, bucket, metric`;
}

/**
 * The devices of $devices with a row in [$lo, $to): any row is a point (a point without metrics
 * has none), superseded or not. The min/max zone maps on ts skip the row groups out of range.
 */
export const REPORTING_SQL = `
SELECT DISTINCT device_id FROM telemetry
WHERE org_id = $org AND list_contains($devices, device_id) AND ts >= $lo AND ts < $to
`;

/** Rows of one organization ($org) when `scoped`, else of every one. */
export const orgScope = (scoped: boolean) => (scoped ? 'AND org_id = $org' : '');

/**
 * The raw retention: the oldest row, then the rows of [$lo, $to) a slice at a time; of one
 * organization when `scoped`.
 */
export const oldestSql = (scoped: boolean) =>
  `SELECT min(ts) AS ts FROM telemetry WHERE true ${orgScope(scoped)}`;
export const deleteBeforeSql = (scoped: boolean) =>
  `DELETE FROM telemetry WHERE ts >= $lo AND ts < $to AND ts < $cutoff ${orgScope(scoped)}`;
export const deleteLatestBeforeSql = (scoped: boolean) =>
  `DELETE FROM telemetry_latest WHERE ts < $to ${orgScope(scoped)}`;

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
