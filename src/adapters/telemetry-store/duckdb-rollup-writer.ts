import { BIGINT, type DuckDBConnection } from '@duckdb/node-api';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import { bucketStart } from '../../domain/bucket-grid.js';
import {
  INSERT_COARSER_SQL,
  INSERT_FINEST_SQL,
  ROLLUP_TABLES,
  SETTLE_SQL,
  deleteTouchedSql,
} from './duckdb-rollup-sql.js';
import { ROLLUP_GRAINS } from '../../domain/rollups.js';
import { inTransaction } from './duckdb-transaction.js';

const [FINEST, ...COARSER] = ROLLUP_GRAINS;

/**
 * Touched minutes further apart than this are recomputed in separate statements, at most
 * MAX_SPANS of them per refresh: each span's statements cost some milliseconds whatever it holds,
 * so points scattered over years (a backfill, or a device with a wild clock) must not cost a
 * statement per point and hold back every device's writes behind it.
 */
const CLUSTER_GAP_MS = 3_600_000;
const MAX_SPANS = 4;

const SPAN_TYPES = { grain: BIGINT, lo: BIGINT, hi: BIGINT };

/**
 * Records, in the write's transaction, the finest buckets the batch's points fall in, as distinct
 * (org, device, bucket): a device's metrics mostly come together, so the refresh recomputes the
 * rows of all its metrics there. The marks commit with the points or not at all, so the next
 * refreshRollups recomputes them however the process ends. Recomputing at every write instead
 * cost a bucket one recompute per batch that touched it (an hour's row 360 times for a device
 * reporting every 10 s).
 */
export async function markTouched(
  connection: DuckDBConnection,
  points: readonly TelemetryPoint[],
): Promise<void> {
  const seen = new Set<string>();
  const appender = await connection.createAppender('rollup_dirty');
  try {
    for (const { orgId, deviceId, ts } of points) {
      const bucket = bucketStart(ts, FINEST, 0);
      const key = `${orgId}\u0000${deviceId}\u0000${bucket}`;
      if (seen.has(key)) continue;
      seen.add(key);
      appender.appendVarchar(orgId);
      appender.appendVarchar(deviceId);
      appender.appendDouble(bucket);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/**
 * Recomputes, from the stored points, the rollup rows of every bucket marked since the last
 * refresh, in one transaction on the writer connection: the finest grain's from the points, each
 * coarser one's from the grain below. Recomputing rather than adding the points in makes a batch
 * written twice, a duplicate point or a late one leave the rows equal to the points' own
 * aggregates. Marks far apart in time (a late point beside today's) are recomputed span by span,
 * so no statement scans the time between. Returns how many finest buckets were recomputed.
 */
export async function refreshRollups(connection: DuckDBConnection): Promise<number> {
  return inTransaction(connection, async () => {
    let buckets = 0;
    for (const span of await markedSpans(connection)) {
      const marked = await connection.run(
        `INSERT INTO rollup_touched SELECT DISTINCT org_id, device_id, bucket
         FROM rollup_dirty WHERE bucket >= $lo AND bucket < $hi`,
        { lo: BigInt(span.lo), hi: BigInt(span.hi) },
        { lo: BIGINT, hi: BIGINT },
      );
      buckets += marked.rowsChanged;
      await recomputeTouched(connection, span.lo, span.hi);
      await connection.run('DELETE FROM rollup_touched');
    }
    await connection.run('DELETE FROM rollup_dirty');
    return buckets;
  });
}

/**
 * The spans [lo, hi) of the marked finest buckets: one from the first to the last, cut at the
 * widest gaps longer than CLUSTER_GAP_MS, into MAX_SPANS at most. Worked out in SQL over the
 * distinct buckets, so the marks never travel to JavaScript.
 */
async function markedSpans(connection: DuckDBConnection): Promise<{ lo: number; hi: number }[]> {
  const bounds = await connection.runAndReadAll(
    'SELECT min(bucket) AS first, max(bucket) AS last FROM rollup_dirty',
  );
  const { first, last } = bounds.getRowObjectsJS()[0] ?? {};
  if (typeof first !== 'bigint' || typeof last !== 'bigint') return [];
  const widest = await connection.runAndReadAll(
    `SELECT bucket AS at, gap FROM (
       SELECT bucket, bucket - lag(bucket) OVER (ORDER BY bucket) AS gap
       FROM (SELECT DISTINCT bucket FROM rollup_dirty)
     )
     WHERE gap > $gap ORDER BY gap DESC LIMIT $cuts`,
    { gap: BigInt(CLUSTER_GAP_MS), cuts: BigInt(MAX_SPANS - 1) },
    { gap: BIGINT, cuts: BIGINT },
  );
  const cuts = widest
    .getRowObjectsJS()
    .map((row) => ({ at: Number(row.at), gap: Number(row.gap) }))
    .sort((a, b) => a.at - b.at);
  const spans: { lo: number; hi: number }[] = [];
  let lo = Number(first);
  // A cut at `at` ends a span at the bucket `gap` before it, and starts the next one.
  for (const { at, gap } of cuts) {
    spans.push({ lo, hi: at - gap + FINEST });
    lo = at;
  }
  spans.push({ lo, hi: Number(last) + FINEST });
  return spans;
}

/**
 * Recomputes every grain's rows of the buckets in rollup_touched (finest buckets, all within
 * [lo, hi)), finest first.
 */
export async function recomputeTouched(connection: DuckDBConnection, lo: number, hi: number) {
  let finer: number = FINEST;
  for (const grain of [FINEST, ...COARSER]) {
    const span = {
      grain: BigInt(grain),
      lo: BigInt(bucketStart(lo, grain, 0)),
      hi: BigInt(bucketStart(hi - 1, grain, 0) + grain),
    };
    for (const table of ROLLUP_TABLES) {
      await connection.run(deleteTouchedSql(table), { grain: span.grain }, { grain: BIGINT });
    }
    if (grain === FINEST) await connection.run(INSERT_FINEST_SQL, span, SPAN_TYPES);
    else {
      await connection.run(
        INSERT_COARSER_SQL,
        { ...span, finer: BigInt(finer) },
        { ...SPAN_TYPES, finer: BIGINT },
      );
    }
    finer = grain;
  }
}

/**
 * Fresh rollup rows past which a refresh settles them by default: a couple of DuckDB row groups
 * (122,880 rows each), so each sorted chunk holds one device's rows in one of them, while the
 * unsorted fresh rows every read scans stay few.
 */
export const SETTLE_ROWS = 250_000;

/**
 * Moves the fresh rollup rows, sorted, to telemetry_rollup (duckdb-rollup-sql.ts) once there are
 * at least `minRows` of them, in one transaction on the writer connection. Returns rows moved.
 */
export async function settleRollups(
  connection: DuckDBConnection,
  minRows: number,
): Promise<number> {
  const counted = await connection.runAndReadAll('SELECT count(*) FROM telemetry_rollup_fresh');
  const rows = Number(counted.getRowsJS()[0]?.[0] ?? 0);
  if (rows < Math.max(1, minRows)) return 0;
  return inTransaction(connection, async () => {
    for (const sql of SETTLE_SQL) await connection.run(sql);
    return rows;
  });
}
