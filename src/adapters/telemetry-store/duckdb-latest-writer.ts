import type { DuckDBConnection } from '@duckdb/node-api';
import { inTransaction } from './duckdb-transaction.js';
import { readMeta, writeMeta } from './duckdb-telemetry-meta.js';
import { MERGE_LATEST_SQL, RECOVER_LATEST_SQL } from './duckdb-telemetry-sql.js';
import { appendValue } from './duckdb-telemetry-writer.js';
import type { LatestRow } from './latest-rows.js';

/** Rows with seq below this have their newest values in telemetry_latest (kept in telemetry_meta). */
const LATEST_SEQ = 'latest_seq';

/**
 * At open: merges into telemetry_latest the newest values of the rows written after its last
 * flush (a crash lost what was pending), so the table is whole again before any read. A store
 * from before the write-behind has no mark: it merged every batch, and its table is whole.
 */
export async function recoverLatest(connection: DuckDBConnection, nextSeq: number): Promise<void> {
  const flushedUpTo = await readMeta(connection, LATEST_SEQ);
  await inTransaction(connection, async () => {
    if (flushedUpTo !== undefined && flushedUpTo < nextSeq) {
      await connection.run(RECOVER_LATEST_SQL, { from: flushedUpTo });
    }
    await writeMeta(connection, LATEST_SEQ, nextSeq);
  });
}

/**
 * telemetry_latest written behind the points: each write notes its batch's newest values here,
 * and `flush` merges them all in one statement, from the store's write queue, every second or
 * before anything reads the table. Merging at every write (an upsert through the table's index)
 * took more of the writer's time than appending the rows when batches are small, as when devices
 * send one point per request (bench/ingest-single-point.ts). Reads stay exact: the store's
 * in-memory copy (duckdb-latest-mirror.ts) takes every write at once, the table is flushed
 * before the copy is filled from it, and what a crash leaves pending is recovered at the next
 * open from the rows themselves (recoverLatest).
 */
export function createLatestWriteBehind() {
  let pending = new Map<string, LatestRow>();

  return {
    /** A committed batch's newest value per (org, device, metric); a later write wins a tie. */
    note(rows: Iterable<LatestRow>) {
      for (const row of rows) {
        const key = `${row.orgId.length}:${row.orgId}${row.deviceId.length}:${row.deviceId}${row.metric}`;
        const known = pending.get(key);
        if (!known || row.ts >= known.ts) pending.set(key, row);
      }
    },

    /**
     * Merges what is pending and marks every row below `nextSeq` as merged, in one transaction;
     * on failure the values stay pending. The caller owns the connection (the write queue).
     */
    async flush(connection: DuckDBConnection, nextSeq: number): Promise<void> {
      if (pending.size === 0) return;
      const rows = pending;
      pending = new Map();
      try {
        await inTransaction(connection, async () => {
          const staging = await connection.createAppender('latest_staging', 'main', 'temp');
          try {
            for (const row of rows.values()) {
              staging.appendVarchar(row.orgId);
              staging.appendVarchar(row.deviceId);
              staging.appendVarchar(row.metric);
              staging.appendDouble(row.ts);
              appendValue(staging, row.value);
              staging.endRow();
            }
            staging.flushSync();
          } finally {
            staging.closeSync();
          }
          await connection.run(MERGE_LATEST_SQL);
          await writeMeta(connection, LATEST_SEQ, nextSeq);
        });
      } catch (error) {
        const since = pending;
        pending = rows;
        this.note(since.values());
        throw error;
      }
    },
  };
}
