import {
  SERIES,
  SQUARE_PARTS_SQL,
  bucketSql,
  exponentSql,
  orgScope,
  scaledSql,
} from './duckdb-telemetry-sql.js';
import type { AggregateSeries } from './duckdb-telemetry-sql.js';

/**
 * DuckDB's rollups (rollup-plan.ts). A row holds what every derivable aggregate of one device's
 * metric over one bucket of `grain` ms needs, in parts that add up exactly: the counts by type
 * and of true, MIN and MAX, FIRST and LAST with their times, the exact sums of the numbers and of
 * their squares as the raw reads keep them (duckdb-telemetry-sql.ts: per binary exponent k, the
 * HUGEINT sum s and the square pieces q2, q1, q0; see ROLLUP_COLUMNS_SQL for how they are
 * stored), and for a counter the bucket's first number,
 * its last number with its time, and the exact sum of its inner steps (between two of its own
 * numbers). Rows of a coarser bucket, or of a question's bucket, are the rows inside it put
 * together by the same rules, plus the steps from each row's last number to the next row's first,
 * so an answer from rollups has the very bits of the answer from the points.
 *
 * The rows live in two tables. A refresh (duckdb-rollup-writer.ts) deletes the rows of the buckets
 * it recomputes from both and inserts the new ones into telemetry_rollup_fresh; once that holds
 * enough rows, they move to telemetry_rollup sorted by (grain, org, device_key, metric, bucket). So
 * telemetry_rollup is a run of sorted chunks, each a few row groups, and a read of one device
 * finds its rows through DuckDB's zone maps in one row group per chunk instead of scanning every
 * device's (rows are written in time order, all devices together). The zone maps bound
 * `device_key`, a number made from the device id (md5_number_lower: stable across DuckDB
 * versions, unlike hash()), not the id itself: DuckDB keeps only a string's first 8 bytes in them,
 * and device ids are UUID v7, whose first 8 characters are the same for every device created in
 * the same few minutes, so by id every row group matched every device. No primary key: a key's index would cost every refresh its upkeep,
 * and reads do not look rows up one by one.
 */
/**
 * The exact sums: a row whose numbers share one k (nearly every row: duckdb-telemetry-sql.ts) keeps
 * its one part in columns, k, the sum s as s_hi * 2^63 + s_lo, and q2, q1, q0; a row with several
 * k keeps them all in the list `parts` and leaves those columns NULL. A question over many rows
 * then sums plain integer columns: DuckDB sums BIGINTs several times faster than HUGEINTs, and a
 * LIST of STRUCTs costs a fleet's question most of its time just to read (sums from the list took
 * 71 ms of 288,000 five-minute rows; from s_hi and s_lo, 17 ms). The sums of s_hi and of s_lo
 * (HUGEINT in DuckDB) put back together give the exact sum.
 */
const ROLLUP_COLUMNS_SQL = `(
  grain BIGINT NOT NULL,
  org_id VARCHAR NOT NULL,
  device_id VARCHAR NOT NULL,
  device_key UBIGINT NOT NULL,
  metric VARCHAR NOT NULL,
  bucket BIGINT NOT NULL,
  n_num DOUBLE NOT NULL,
  n_bool DOUBLE NOT NULL,
  n_str DOUBLE NOT NULL,
  n_true DOUBLE NOT NULL,
  "min" DOUBLE,
  "max" DOUBLE,
  "first" STRUCT(ts BIGINT, v STRUCT(num DOUBLE, bool BOOLEAN, str VARCHAR)),
  "last" STRUCT(ts BIGINT, v STRUCT(num DOUBLE, bool BOOLEAN, str VARCHAR)),
  k INTEGER,
  s_hi BIGINT,
  s_lo BIGINT,
  q2 HUGEINT,
  q1 HUGEINT,
  q0 HUGEINT,
  parts STRUCT(k INTEGER, s HUGEINT, q2 HUGEINT, q1 HUGEINT, q0 HUGEINT)[],
  first_num DOUBLE,
  last_num STRUCT(ts BIGINT, num DOUBLE),
  steps STRUCT(k INTEGER, s HUGEINT)[]
)`;

export const ROLLUP_TABLES = ['telemetry_rollup', 'telemetry_rollup_fresh'] as const;
export type RollupTable = (typeof ROLLUP_TABLES)[number];

/** The rows of both tables. */
const ALL_ROLLUPS = '(FROM telemetry_rollup UNION ALL FROM telemetry_rollup_fresh)';

/** The order of settled rows (above). */
const SETTLED_ORDER = 'grain, org_id, device_key, device_id, metric, bucket';

/** The device_key of a device id (above). */
const deviceKeySql = (deviceId: string) => `md5_number_lower(${deviceId})`;

/**
 * Rollup tables of the layout before device_key and the exact sums' columns (their `parts` only)
 * take them: each row's one part moves to the columns. Rollups outlive the points
 * (ROLLUP_RETENTION), so they are converted, never recomputed, and sorted as settled rows are
 * (the whole table one chunk). Run in one transaction, before ROLLUP_SCHEMA_SQL.
 */
export const rollupLayoutUpgradeSql = (table: RollupTable) => `
ALTER TABLE ${table} RENAME TO ${table}_before;
CREATE TABLE ${table} ${ROLLUP_COLUMNS_SQL};
INSERT INTO ${table} BY NAME
SELECT * EXCLUDE (one), ${deviceKeySql('device_id')} AS device_key, one.k AS k,
  ${splitSql('one.s')}, one.q2 AS q2, one.q1 AS q1, one.q0 AS q0
FROM (
  SELECT * EXCLUDE (parts), CASE WHEN len(parts) = 1 THEN parts[1] END AS one,
    CASE WHEN len(parts) > 1 THEN parts END AS parts
  FROM ${table}_before
)
ORDER BY ${SETTLED_ORDER};
DROP TABLE ${table}_before;
`;

/** Whether `table` is of the layout before rollupLayoutUpgradeSql. */
export const EARLIER_LAYOUT_SQL = `SELECT table_name FROM duckdb_columns()
WHERE table_name IN ('telemetry_rollup', 'telemetry_rollup_fresh')
GROUP BY table_name HAVING NOT bool_or(column_name = 'device_key')`;

export const ROLLUP_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS telemetry_rollup ${ROLLUP_COLUMNS_SQL};
CREATE TABLE IF NOT EXISTS telemetry_rollup_fresh ${ROLLUP_COLUMNS_SQL};
CREATE TABLE IF NOT EXISTS rollup_dirty (
  org_id VARCHAR NOT NULL,
  device_id VARCHAR NOT NULL,
  bucket BIGINT NOT NULL
);
`;

/**
 * The (org, device, finest bucket) whose rollup rows, of every metric, are being recomputed, on
 * the writer connection (rollup_dirty holds those written since the last refresh:
 * duckdb-rollup-writer.ts).
 */
export const TOUCHED_SQL = `
CREATE TEMP TABLE rollup_touched (org_id VARCHAR, device_id VARCHAR, bucket BIGINT);
`;

/** The columns of a rollup row after its key, in table order. */
const ROW_COLUMNS = `n_num, n_bool, n_str, n_true, "min", "max", "first", "last", k, s_hi, s_lo,
  q2, q1, q0, parts, first_num, last_num, steps`;

/**
 * The columns of the rows a question reads (rollupAggregateSql): what it asks for only. The rows
 * pass through a CTE, which DuckDB materializes whole: every unused column costs its decoding.
 */
function askedRowColumns(ask: Pick<RollupAsk, 'sums' | 'counters' | 'ends'>): string {
  const columns = ['n_num', 'n_bool', 'n_str', 'n_true', '"min"', '"max"'];
  if (ask.ends) columns.push('"first"', '"last"');
  if (ask.sums !== 'none') columns.push('k', 's_hi', 's_lo', 'parts');
  if (ask.sums === 'squares') columns.push('q2', 'q1', 'q0');
  if (ask.counters) columns.push('first_num', 'last_num', 'steps');
  return columns.join(', ');
}

const TWO_TO_63 = '9223372036854775808::HUGEINT';
const LOW_63_BITS = '9223372036854775807::HUGEINT';
/** The HUGEINT s_hi * 2^63 + s_lo (its parts may be sums, themselves HUGEINT). */
const joinedSql = (hi: string, lo: string) => `(${hi}::HUGEINT * ${TWO_TO_63} + ${lo})`;
/** A HUGEINT `s` as the columns s_hi and s_lo (0 ≤ s_lo < 2^63: both BIGINT, summed fast). */
const splitSql = (s: string) =>
  `(${s} >> 63)::BIGINT AS s_hi, (${s} & ${LOW_63_BITS})::BIGINT AS s_lo`;
/**
 * A row's exact-sum parts as a list, whichever way it keeps them (NULL without numbers); the
 * squares' pieces NULL when the rows do not carry them.
 */
const rowPartsSql = (squares: boolean) => {
  const piece = (name: string) => (squares ? name : 'NULL::HUGEINT');
  return `coalesce(parts, CASE WHEN k IS NOT NULL THEN [{'k': k, 's': ${joinedSql('s_hi', 's_lo')},
    'q2': ${piece('q2')}, 'q1': ${piece('q1')}, 'q0': ${piece('q0')}}] END)`;
};

interface Combine {
  /**
   * The rows to put together: a relation with `keys`, device_id, metric, `moment` and the
   * ROW_COLUMNS the other options use.
   */
  rows: string;
  /** The columns a result row is keyed by, besides its bucket. */
  keys: string;
  /** The bucket of a row, from its `moment`. */
  bucket: string;
  /**
   * Which steps between rows count: `inner`, only between rows of one bucket (a rollup row's own
   * steps); `since`, between any two rows of a device whose earlier number is at or after $since
   * (a question's: its first bucket's first step may come from before it); `none`, no steps (a
   * question without INCREASE or RATE).
   */
  steps: 'inner' | 'since' | 'none';
  /**
   * Which of the exact sums' parts are put together: `squares`, the sums and their squares'
   * pieces (STDDEV); `sums`, the sums only (SUM, MEAN); `none` (a question without them).
   */
  sums: 'squares' | 'sums' | 'none';
  /** Whether FIRST and LAST are put together (a question without them leaves them NULL). */
  ends: boolean;
  /** Rows before this time only lend their last number to a step ($lo); default: every row. */
  from?: string;
  /** Columns the result starts with (a rollup row's grain). */
  lead?: string;
}

/**
 * Rollup rows, or points as rows, put together per (keys, bucket): counts and the exact sums'
 * parts added (per k), MIN of the MINs, the earliest FIRST, the latest LAST, the first row's
 * first number and the last row's last, and the steps: each row's own, plus the step from each
 * row's last number to the next row's first (domain/counters.ts counterStep), summed exactly per
 * k as the raw reads sum them.
 */
export function combineSql(combine: Combine): string {
  const { rows, keys, bucket, steps, sums, ends, from, lead = '' } = combine;
  const pieces = sums === 'squares' ? ['s', 'q2', 'q1', 'q0'] : ['s'];
  const partStruct = (column: (piece: string) => string) =>
    `{'k': ${column('k')}, ${pieces.map((piece) => `'${piece}': ${column(piece)}`).join(', ')}}`;
  const inRange = from === undefined ? 'true' : `moment >= ${from}`;
  // Without steps, `combined` is the one pass over the rows that nearly every question needs
  // (sum_parts reads them again only for buckets of several k): inlined, DuckDB does not first
  // copy them all into a materialized CTE (a fifth of a fleet's question).
  const materialized = steps === 'none' ? 'NOT MATERIALIZED ' : '';
  const ctes = [
    `src AS ${materialized}(SELECT ${keys}, ${bucket} AS bucket, * EXCLUDE (${keys}) FROM (${rows}))`,
  ];
  const joins: string[] = [];
  if (steps !== 'none') {
    const chain = steps === 'inner' ? `device_id, metric, ${keys}, bucket` : 'device_id, metric';
    const counted = steps === 'inner' ? 'true' : `prev.ts >= $since AND ${inRange}`;
    ctes.push(`links AS (
  SELECT ${keys}, bucket, CASE WHEN first_num >= prev.num THEN first_num - prev.num
    ELSE first_num END AS step
  FROM (
    SELECT ${keys}, bucket, moment, first_num,
      lag(last_num) OVER (PARTITION BY ${chain} ORDER BY moment) AS prev
    FROM src WHERE first_num IS NOT NULL
  )
  WHERE prev IS NOT NULL AND ${counted}
)`);
    ctes.push(`step_parts AS (
  SELECT ${keys}, bucket, k, sum(s) AS s FROM (
    SELECT ${keys}, bucket, unnest(steps, recursive := true) FROM src WHERE ${inRange}
    UNION ALL BY NAME
    SELECT ${keys}, bucket, k, ${scaledSql('step')} AS s
    FROM (SELECT *, ${exponentSql('step')} AS k FROM links WHERE step <> 0 AND isfinite(step))
  )
  GROUP BY ${keys}, bucket, k
)`);
    joins.push(`LEFT JOIN (
  SELECT ${keys}, bucket, list({'k': k, 's': s}) AS steps
  FROM step_parts GROUP BY ${keys}, bucket
) USING (${keys}, bucket)`);
  }
  // The exact sums' parts: where every row has one part of one k (numbers within 32 binary
  // orders of magnitude, nearly always), summed in the pass over the rows; the other results
  // unnest their rows' parts and sum them per k, which cost three times the whole query.
  const oneK = `count(parts) = 0 AND min(k) = max(k)`;
  const squares = pieces.filter((piece) => piece !== 's');
  const oneKColumns =
    sums === 'none'
      ? []
      : [
          `coalesce(${oneK}, false) AS one_k`,
          'min(k) AS one_k_k',
          'sum(s_hi) AS one_k_s_hi',
          'sum(s_lo) AS one_k_s_lo',
          ...squares.map((piece) => `sum(${piece}) AS one_k_${piece}`),
        ];
  // What only some questions need is left out of the others: arg_min and arg_max of structs
  // cost more than the sums.
  const endColumns = ends
    ? ['arg_min("first", "first".ts) AS "first"', 'arg_max("last", "last".ts) AS "last"']
    : [];
  const counterColumns =
    steps === 'none'
      ? []
      : ['arg_min(first_num, moment) AS first_num', 'arg_max(last_num, moment) AS last_num'];
  const aggregated = [
    'sum(n_num) AS n_num',
    'sum(n_bool) AS n_bool',
    'sum(n_str) AS n_str',
    'sum(n_true) AS n_true',
    'min("min") AS "min"',
    'max("max") AS "max"',
    ...endColumns,
    ...counterColumns,
    ...oneKColumns,
  ];
  ctes.push(`combined AS (
  SELECT ${keys}, bucket, ${aggregated.join(',\n    ')}
  FROM src WHERE ${inRange}
  GROUP BY ${keys}, bucket
)`);
  if (sums !== 'none') {
    ctes.push(`sum_parts AS (
  SELECT ${keys}, bucket, k, ${pieces.map((piece) => `sum(${piece}) AS ${piece}`).join(', ')}
  FROM (
    SELECT ${keys}, bucket, unnest(${rowPartsSql(sums === 'squares')}, recursive := true) FROM src
    SEMI JOIN (SELECT ${keys}, bucket FROM combined WHERE NOT one_k) USING (${keys}, bucket)
    WHERE ${inRange}
  )
  GROUP BY ${keys}, bucket, k
)`);
    joins.push(`LEFT JOIN (
  SELECT ${keys}, bucket, list(${partStruct((piece) => piece)}) AS many_parts
  FROM sum_parts GROUP BY ${keys}, bucket
) USING (${keys}, bucket)`);
  }
  const partColumns =
    sums === 'none'
      ? ['NULL AS parts']
      : [
          'CASE WHEN one_k THEN one_k_k END AS k',
          `CASE WHEN one_k THEN ${joinedSql('one_k_s_hi', 'one_k_s_lo')} END AS s`,
          ...squares.map((piece) => `CASE WHEN one_k THEN one_k_${piece} END AS ${piece}`),
          'CASE WHEN NOT one_k THEN many_parts END AS parts',
        ];
  const oneKHelpers = ['one_k', 'one_k_k', 'one_k_s_hi', 'one_k_s_lo'].concat(
    squares.map((piece) => `one_k_${piece}`),
  );
  const helpers = sums === 'none' ? '' : ` EXCLUDE (${oneKHelpers.join(', ')}, many_parts)`;
  const absent = [...partColumns, ...(steps === 'none' ? ['NULL AS steps'] : [])];
  return `${ctes.join(',\n')}
SELECT ${lead}*${helpers}, ${absent.join(', ')}
FROM combined
${joins.join('\n')}`;
}

/** What a question asks of the rollup rows (rollupAggregateSql). */
export interface RollupAsk {
  /** The exact sums' parts to put together (Combine.sums). */
  sums: Combine['sums'];
  /** INCREASE or RATE: the steps between rows. */
  counters: boolean;
  /** FIRST or LAST. */
  ends: boolean;
  /**
   * Each row is one bucket of one series (a device's question whose buckets are the grain's,
   * without counters, whose steps cross rows): the rows are read as they are, with nothing to
   * put together, and without $every and $offset.
   */
  direct: boolean;
  /**
   * One device is asked (of a device's series): matched by equality, which DuckDB pushes into the
   * scan as constants, instead of the list forms that several devices need (a semi join and
   * bounds worked out from the list, which cost a one-device chart more than its rows).
   */
  oneDevice: boolean;
}

/** The device_keys of the devices asked, for the zone maps. */
const DEVICE_KEYS = `list_transform($devices, id -> ${deviceKeySql('id')})`;

/**
 * The buckets of every series (duckdb-telemetry-sql.ts SERIES) from the rollup rows of $grain in
 * [$lo, $to), in the columns aggregateSql answers with, so one reader turns both into buckets:
 * the first exact-sum part as sum_k, sum_s and its squares' pieces, `sum_parts` when there are
 * several; the same for the steps (inc_*). With `counters`, the rows from $start (the grain's
 * bucket of $since) lend their last numbers to the first steps.
 */
export function rollupAggregateSql(series: AggregateSeries, ask: RollupAsk): string {
  const { key, members } = SERIES[series];
  // The devices asked: a group's are joined already (members); one device by equality (RollupAsk);
  // several by IN over the unnested list, a hash semi join (list_contains compares each row with
  // every device asked: a tenth of the time of a fleet's question).
  const asked =
    series === 'device' && ask.oneDevice
      ? `device_id = $devices[1] AND device_key = ${deviceKeySql('$devices[1]')}`
      : `${series === 'device' ? 'device_id IN (SELECT unnest($devices)) AND' : ''}
      device_key BETWEEN list_min(${DEVICE_KEYS}) AND list_max(${DEVICE_KEYS})
      AND device_id BETWEEN list_min($devices) AND list_max($devices)`;
  const rows = `SELECT ${key} AS series, device_id, metric, bucket AS moment, ${askedRowColumns(ask)}
    FROM ${ALL_ROLLUPS} ${members}
    WHERE grain = $grain AND org_id = $org AND ${asked}
      AND list_contains($metrics, metric) AND bucket >= ${ask.counters ? '$start' : '$lo'}
      AND bucket < $to`;
  const columns = ['n_num', 'n_bool', 'n_str', 'n_true', '"min"', '"max"'];
  if (ask.ends) columns.push('"first".v AS "first"', '"last".v AS "last"');
  if (ask.sums !== 'none') {
    const pieces = ask.sums === 'squares' ? ['k', 's', 'q2', 'q1', 'q0'] : ['k', 's'];
    columns.push(
      'CASE WHEN k IS NOT NULL THEN 1 ELSE coalesce(len(parts), 0) END::DOUBLE AS n_parts',
      ...pieces.map((name) => `coalesce(${name}, parts[1].${name}) AS sum_${name}`),
      'CASE WHEN len(parts) > 1 THEN parts END AS sum_parts',
    );
  }
  if (ask.counters) {
    columns.push(
      'coalesce(len(steps), 0)::DOUBLE AS inc_n',
      'steps[1].k AS inc_k',
      'steps[1].s AS inc_s',
      'CASE WHEN len(steps) > 1 THEN steps END AS inc_parts',
    );
  }
  if (ask.direct) {
    return `SELECT series, moment AS bucket, metric, ${columns.join(', ')}
FROM (SELECT *${ask.sums === 'none' ? '' : `, ${joinedSql('s_hi', 's_lo')} AS s`} FROM (${rows}))
ORDER BY series, bucket, metric`;
  }
  const combined = combineSql({
    rows,
    keys: 'series, metric',
    bucket: bucketSql('moment'),
    steps: ask.counters ? 'since' : 'none',
    sums: ask.sums,
    ends: ask.ends,
    from: ask.counters ? '$lo' : undefined,
  });
  return `SELECT series, bucket, metric, ${columns.join(', ')}
FROM (WITH ${combined})
ORDER BY series, bucket, metric`;
}

const ROLLUP_KEY = 'org_id, device_id, metric';
const TOUCHED_OF_GRAIN = `SELECT DISTINCT org_id, device_id,
    ${bucketSql('bucket', '$grain', '0')} AS bucket FROM rollup_touched`;

/** Deletes a table's rows of $grain over the touched buckets, before they are computed again. */
export const deleteTouchedSql = (table: RollupTable) => `
DELETE FROM ${table} AS r USING (${TOUCHED_OF_GRAIN}) AS t
WHERE r.grain = $grain AND r.org_id = t.org_id AND r.device_id = t.device_id
  AND r.bucket = t.bucket
`;

/**
 * The finest rows of the touched buckets, from the points stored in [$lo, $hi) (the touched
 * minutes' span, so the zone maps skip the rest), duplicates collapsed to the last write: the
 * aggregates of aggregateSql (duckdb-telemetry-sql.ts) per bucket, kept as their parts.
 */
export const INSERT_FINEST_SQL = `
INSERT INTO telemetry_rollup_fresh BY NAME
WITH points AS (
  SELECT org_id, device_id, metric, ts, arg_max({'num': num, 'bool': bool, 'str': str}, seq) AS v
  FROM telemetry AS t
  SEMI JOIN rollup_touched AS r ON t.org_id = r.org_id AND t.device_id = r.device_id
    AND ${bucketSql('t.ts', '$grain', '0')} = r.bucket
  WHERE t.ts >= $lo AND t.ts < $hi
  GROUP BY org_id, device_id, metric, ts
),
cells AS (
  SELECT ${ROLLUP_KEY}, ${bucketSql('ts', '$grain', '0')} AS bucket, ts, v, v.num AS num,
    lag(v.num) OVER (PARTITION BY ${ROLLUP_KEY}, bucket ORDER BY ts) AS prev
  FROM (SELECT * FROM points WHERE v.num IS NOT NULL)
),
sum_parts AS (
  SELECT ${ROLLUP_KEY}, bucket, k, sum(x) AS s, ${SQUARE_PARTS_SQL}
  FROM (SELECT *, ${scaledSql('num')} AS x FROM (SELECT *, ${exponentSql('num')} AS k FROM cells))
  WHERE k IS NOT NULL
  GROUP BY ${ROLLUP_KEY}, bucket, k
),
step_parts AS (
  SELECT ${ROLLUP_KEY}, bucket, k, sum(${scaledSql('step')}) AS s
  FROM (
    SELECT *, ${exponentSql('step')} AS k FROM (
      SELECT ${ROLLUP_KEY}, bucket, CASE WHEN num >= prev THEN num - prev ELSE num END AS step
      FROM cells WHERE prev IS NOT NULL
    ) WHERE step <> 0 AND isfinite(step)
  )
  GROUP BY ${ROLLUP_KEY}, bucket, k
),
combined AS (
  SELECT ${ROLLUP_KEY}, ${bucketSql('ts', '$grain', '0')} AS bucket,
    count(v.num)::DOUBLE AS n_num, count(v.bool)::DOUBLE AS n_bool,
    (count(*) - count(v.num) - count(v.bool))::DOUBLE AS n_str,
    (count(*) FILTER (WHERE v.bool))::DOUBLE AS n_true, min(v.num) AS "min", max(v.num) AS "max",
    arg_min({'ts': ts, 'v': v}, ts) AS "first", arg_max({'ts': ts, 'v': v}, ts) AS "last",
    arg_min(v.num, ts) AS first_num,
    arg_max({'ts': ts, 'num': v.num}, ts) FILTER (WHERE v.num IS NOT NULL) AS last_num
  FROM points GROUP BY ${ROLLUP_KEY}, bucket
)
SELECT $grain AS grain, ${deviceKeySql('device_id')} AS device_key, * FROM combined
LEFT JOIN (
  SELECT ${ROLLUP_KEY}, bucket, ${splitSql('s')}, * EXCLUDE (${ROLLUP_KEY}, bucket, s)
  FROM (
    SELECT ${ROLLUP_KEY}, bucket,
      ${['k', 's', 'q2', 'q1', 'q0'].map((piece) => `CASE WHEN count(*) = 1 THEN max(${piece}) END AS ${piece}`).join(', ')},
      CASE WHEN count(*) > 1 THEN list({'k': k, 's': s, 'q2': q2, 'q1': q1, 'q0': q0}) END AS parts
    FROM sum_parts GROUP BY ${ROLLUP_KEY}, bucket
  )
) USING (${ROLLUP_KEY}, bucket)
LEFT JOIN (
  SELECT ${ROLLUP_KEY}, bucket, list({'k': k, 's': s}) AS steps
  FROM step_parts GROUP BY ${ROLLUP_KEY}, bucket
) USING (${ROLLUP_KEY}, bucket)
`;

/**
 * A coarser grain's rows of the touched buckets ($grain), from the rows of the grain below
 * ($finer) inside them, in [$lo, $hi).
 */
export const INSERT_COARSER_SQL = `
INSERT INTO telemetry_rollup_fresh BY NAME
SELECT * EXCLUDE (s), ${splitSql('s')}, ${deviceKeySql('device_id')} AS device_key
FROM (WITH ${combineSql({
  rows: `SELECT org_id, device_id, metric, bucket AS moment, ${ROW_COLUMNS}
    FROM ${ALL_ROLLUPS} AS r
    SEMI JOIN (${TOUCHED_OF_GRAIN}) AS t ON r.org_id = t.org_id AND r.device_id = t.device_id
      AND ${bucketSql('r.bucket', '$grain', '0')} = t.bucket
    WHERE r.grain = $finer AND r.bucket >= $lo AND r.bucket < $hi`,
  keys: ROLLUP_KEY,
  bucket: bucketSql('moment', '$grain', '0'),
  steps: 'inner',
  sums: 'squares',
  ends: true,
  lead: '$grain AS grain, ',
})})
`;

/**
 * The rollup retention: the oldest row, then the rows of [$lo, $to) a slice at a time, those
 * whose whole bucket lies before $cutoff; of one organization when `scoped`.
 */
export const oldestRollupSql = (scoped: boolean) =>
  `SELECT min(bucket) AS bucket FROM ${ALL_ROLLUPS} WHERE true ${orgScope(scoped)}`;
export const deleteRollupsBeforeSql = (table: RollupTable, scoped: boolean) => `
DELETE FROM ${table} WHERE bucket >= $lo AND bucket < $to AND bucket + grain <= $cutoff
  ${orgScope(scoped)}
`;

/** The fresh rows, sorted, moved to telemetry_rollup (run in one transaction). */
export const SETTLE_SQL = [
  `INSERT INTO telemetry_rollup
   FROM telemetry_rollup_fresh ORDER BY ${SETTLED_ORDER}`,
  'DELETE FROM telemetry_rollup_fresh',
];
