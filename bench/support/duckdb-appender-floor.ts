/**
 * The floor the DuckDB benches set the store against: the same rows (one per point and metric)
 * through one raw appender per batch into a bare table of the store's columns, committed at each
 * batch's close; no sequence lookup, no latest values, no rollup marks, nothing else.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';

/** Milliseconds to append every batch's rows into a new database at `file`. */
export async function appendRawMs(
  file: string,
  batches: readonly (readonly TelemetryPoint[])[],
): Promise<number> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE telemetry (org_id VARCHAR, device_id VARCHAR, ts BIGINT,
    metric VARCHAR, num DOUBLE, bool BOOLEAN, str VARCHAR, seq BIGINT)`);
  const started = performance.now();
  let seq = 0;
  for (const batch of batches) {
    const appender = await connection.createAppender('telemetry');
    for (const point of batch) {
      for (const [metric, value] of Object.entries(point.metrics)) {
        appender.appendVarchar(point.orgId);
        appender.appendVarchar(point.deviceId);
        appender.appendDouble(point.ts);
        appender.appendVarchar(metric);
        if (typeof value === 'number') appender.appendDouble(value);
        else appender.appendNull();
        if (typeof value === 'boolean') appender.appendBoolean(value);
        else appender.appendNull();
        if (typeof value === 'string') appender.appendVarchar(value);
        else appender.appendNull();
        appender.appendDouble(seq++);
        appender.endRow();
      }
    }
    appender.closeSync();
  }
  const elapsed = performance.now() - started;
  connection.closeSync();
  instance.closeSync();
  return elapsed;
}
