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
  await connection.run('BEGIN TRANSACTION');
  try {
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
    await connection.run('COMMIT');
    return buckets;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The spans [lo, hi) of the marked finest buckets: one from the first to the last, cut at the
 * widest gaps longer than CLUSTER_GAP_MS, into MAX_SPANS at most. Worked out in SQL over the
 * distinct buckets, so the marks never travel to JavaScript.
 */
async function markedSpans(connection: DuckDBConnection): Promise<{ lo: number; hi: number }[]> {
  const reader = await connection.runAndReadAll(
    `WITH buckets AS (SELECT DISTINCT bucket FROM rollup_dirty),
     gaps AS (SELECT bucket, bucket - lag(bucket) OVER (ORDER BY bucket) AS gap FROM buckets)
     SELECT NULL AS bucket, NULL AS gap, min(bucket) AS first, max(bucket) AS last FROM buckets
     UNION ALL
     (SELECT bucket, gap, NULL, NULL FROM gaps WHERE gap > $gap ORDER BY gap DESC LIMIT $cuts)`,
    { gap: BigInt(CLUSTER_GAP_MS), cuts: BigInt(MAX_SPANS - 1) },
    { gap: BIGINT, cuts: BIGINT },
  );
  const [bounds, ...gaps] = reader.getRowObjectsJS();
  if (typeof bounds?.first !== 'bigint' || typeof bounds.last !== 'bigint') return [];
  const cuts = gaps
    .map((row) => ({ at: Number(row.bucket), gap: Number(row.gap) }))
    .sort((a, b) => a.at - b.at);
  const spans: { lo: number; hi: number }[] = [];
  let lo = Number(bounds.first);
  // A cut at `at` ends a span at the bucket `gap` before it, and starts the next one.
  for (const { at, gap } of cuts) {
    spans.push({ lo, hi: at - gap + FINEST });
    lo = at;
  }
  spans.push({ lo, hi: Number(bounds.last) + FINEST });
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
 * Moves the fresh rollup rows, sorted, to telemetry_rollup (duckdb-rollup-sql.ts) once there are
 * at least `minRows` of them, in one transaction on the writer connection. Returns rows moved.
 */
export async function settleRollups(
  connection: DuckDBConnection,
  minRows: number,
): Promise<number> {
  const counted = await connection.runAndReadAll('SELECT count(*) FROM telemetry_rollup_fresh');
  const rows = Number(counted.getRowsJS()[0]?.[0] ?? 0);
  if (rows === 0 || rows < minRows) return 0;
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const sql of SETTLE_SQL) await connection.run(sql);
    await connection.run('COMMIT');
    return rows;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
