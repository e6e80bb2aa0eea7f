import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MetricValue, TelemetryPoint } from '../../domain/telemetry.js';
import { markTouched } from './duckdb-rollup-writer.js';
import { inTransaction } from './duckdb-transaction.js';
import { newestPerMetric, type LatestRow } from './latest-rows.js';

/** A value into the num, bool and str columns (the rows' and telemetry_latest's): one is set. */
export function appendValue(appender: DuckDBAppender, value: MetricValue) {
  if (typeof value === 'number') {
    appender.appendDouble(value);
    appender.appendNull();
    appender.appendNull();
  } else if (typeof value === 'boolean') {
    appender.appendNull();
    appender.appendBoolean(value);
    appender.appendNull();
  } else {
    appender.appendNull();
    appender.appendNull();
    appender.appendVarchar(value);
  }
}

function assertTimestamp(point: TelemetryPoint) {
  if (!Number.isSafeInteger(point.ts)) {
    throw new RangeError(`telemetry ts must be integer epoch milliseconds, got ${point.ts}`);
  }
}

/**
 * Rows appended (and flushed) between two turns of the event loop. The appender's calls and its
 * flush run on the event loop (DuckDB's node API has no asynchronous append): a batch of 10,000
 * rows in one go held it for ~60 ms, which every live subscriber and ingest request of the
 * embedded app waited behind.
 */
const ROWS_PER_TURN = 1_000;

/**
 * Appends the batch's rows and marks the rollup buckets it touched for the next refresh, in one
 * transaction, so a failed batch leaves nothing behind and a resolved one is committed (durable
 * in DuckDB's WAL). The caller owns the connection exclusively: other statements on it would
 * join this transaction. Returns the number of rows appended and the batch's newest value per
 * (org, device, metric), for telemetry_latest (duckdb-latest-writer.ts) and its in-memory copy.
 *
 * Numbers go in with appendDouble even for BIGINT columns (DuckDB casts): building a BigInt per
 * value halved the append rate in bench/telemetry-store-duckdb.ts, and epoch ms and sequence
 * numbers are integers far below 2^53, so the cast is exact.
 */
export async function writeBatch(
  connection: DuckDBConnection,
  points: readonly TelemetryPoint[],
  firstSeq: number,
): Promise<{ rows: number; latest: LatestRow[] }> {
  points.forEach(assertTimestamp);
  let seq = firstSeq;
  const latest = newestPerMetric(points);
  await inTransaction(connection, async () => {
    const rows = await connection.createAppender('telemetry');
    try {
      let rowsThisTurn = 0;
      for (const point of points) {
        for (const [metric, value] of Object.entries(point.metrics)) {
          rows.appendVarchar(point.orgId);
          rows.appendVarchar(point.deviceId);
          rows.appendDouble(point.ts);
          rows.appendVarchar(metric);
          appendValue(rows, value);
          rows.appendDouble(seq++);
          rows.endRow();
          if (++rowsThisTurn === ROWS_PER_TURN) {
            rows.flushSync();
            rowsThisTurn = 0;
            // The transaction and the connection are this write's alone (see above).
            await nextTurn();
          }
        }
      }
      rows.flushSync();
    } finally {
      rows.closeSync();
    }
    await markTouched(connection, points);
  });
  return { rows: seq - firstSeq, latest };
}
