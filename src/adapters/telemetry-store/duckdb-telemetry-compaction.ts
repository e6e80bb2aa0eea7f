import type { DuckDBConnection } from '@duckdb/node-api';
import { COMPACT_SQL } from './duckdb-telemetry-sql.js';
import { readMeta, writeMeta } from './duckdb-telemetry-meta.js';
import { inTransaction } from './duckdb-transaction.js';

const COMPACTED_SEQ = 'compacted_seq';

/** Rows with seq below this have been through a compaction (kept across restarts). */
export async function readCompactedSeq(connection: DuckDBConnection): Promise<number> {
  return (await readMeta(connection, COMPACTED_SEQ)) ?? 0;
}

/**
 * Deletes the rows that rows with seq in [fromSeq, toSeq) superseded, and records toSeq, in one
 * transaction. Runs on the writer connection, between write batches. Returns rows deleted.
 */
export async function compactTelemetry(
  connection: DuckDBConnection,
  fromSeq: number,
  toSeq: number,
): Promise<number> {
  return inTransaction(connection, async () => {
    const range = await connection.runAndReadAll(
      'SELECT min(ts), max(ts) FROM telemetry WHERE seq >= $from AND seq < $to',
      { from: fromSeq, to: toSeq },
    );
    const [lo, hi] = range.getRowsJS()[0] ?? [];
    let deleted = 0;
    if (typeof lo === 'bigint' && typeof hi === 'bigint') {
      const result = await connection.run(COMPACT_SQL, { lo, hi });
      deleted = result.rowsChanged;
    }
    await writeMeta(connection, COMPACTED_SEQ, toSeq);
    return deleted;
  });
}
