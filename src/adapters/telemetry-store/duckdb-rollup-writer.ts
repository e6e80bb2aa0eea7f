import { BIGINT, type DuckDBConnection } from '@duckdb/node-api';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import { bucketStart } from '../../domain/bucket-grid.js';
import { DELETE_TOUCHED_SQL, INSERT_COARSER_SQL, INSERT_FINEST_SQL } from './duckdb-rollup-sql.js';
import { ROLLUP_GRAINS } from '../../domain/rollups.js';

const [FINEST, ...COARSER] = ROLLUP_GRAINS;

/**
 * Touched minutes further apart than this are recomputed in separate statements, at most
 * MAX_SPANS of them per batch: each span's statements cost some milliseconds whatever it holds,
 * so a batch of points scattered over years (a backfill, or a device with a wild clock) must not
 * cost a statement per point and hold back every device's writes behind it.
 */
const CLUSTER_GAP_MS = 3_600_000;
const MAX_SPANS = 4;

const SPAN_TYPES = { grain: BIGINT, lo: BIGINT, hi: BIGINT };

interface Touched {
  orgId: string;
  deviceId: string;
  metric: string;
  bucket: number;
}

/** The distinct (org, device, metric, finest bucket) of the points, by bucket. */
function touchedBy(points: readonly TelemetryPoint[]): Touched[] {
  const seen = new Map<string, Touched>();
  for (const { orgId, deviceId, ts, metrics } of points) {
    const bucket = bucketStart(ts, FINEST, 0);
    for (const metric of Object.keys(metrics)) {
      const key = `${orgId}\u0000${deviceId}\u0000${metric}\u0000${bucket}`;
      if (!seen.has(key)) seen.set(key, { orgId, deviceId, metric, bucket });
    }
  }
  return [...seen.values()].sort((a, b) => a.bucket - b.bucket);
}

/**
 * Runs of touched buckets with no gap longer than CLUSTER_GAP_MS, the largest gaps only when
 * there would be more than MAX_SPANS runs: each run is one time span.
 */
function clusters(touched: Touched[]): Touched[][] {
  const gaps = touched
    .slice(1)
    .map((one, i) => ({ at: i + 1, length: one.bucket - touched[i]!.bucket }))
    .filter((gap) => gap.length > CLUSTER_GAP_MS)
    .sort((a, b) => b.length - a.length)
    .slice(0, MAX_SPANS - 1)
    .map((gap) => gap.at)
    .sort((a, b) => a - b);
  return [0, ...gaps].map((start, i) => touched.slice(start, gaps[i] ?? touched.length));
}

/**
 * Recomputes, from the stored points, the rollup rows of every bucket the batch's points fall in:
 * the finest grain's from the points, each coarser one's from the grain below. Recomputing rather
 * than adding the batch in makes a batch written twice, a duplicate point or a late one leave the
 * rows equal to the points' own aggregates. Runs in the write's transaction, on its connection, so
 * the rows commit with the points or not at all. A batch whose points lie far apart in time (a
 * late point beside today's) is recomputed span by span, so no statement scans the time between.
 */
export async function updateRollups(
  connection: DuckDBConnection,
  points: readonly TelemetryPoint[],
): Promise<void> {
  for (const run of clusters(touchedBy(points))) {
    const touched = await connection.createAppender('rollup_touched', 'main', 'temp');
    try {
      for (const { orgId, deviceId, metric, bucket } of run) {
        touched.appendVarchar(orgId);
        touched.appendVarchar(deviceId);
        touched.appendVarchar(metric);
        touched.appendDouble(bucket);
        touched.endRow();
      }
      touched.flushSync();
    } finally {
      touched.closeSync();
    }
    await recomputeTouched(connection, run[0]!.bucket, run.at(-1)!.bucket + FINEST);
    await connection.run('DELETE FROM rollup_touched');
  }
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
    await connection.run(DELETE_TOUCHED_SQL, { grain: span.grain }, { grain: BIGINT });
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
