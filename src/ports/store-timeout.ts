/**
 * A telemetry read that ran past STORE_QUERY_TIMEOUT_MS. The store has stopped it (DuckDB
 * interrupts the statement, InfluxDB's request is closed), so the connection is free again; the
 * API answers STORE_TIMEOUT rather than hold the client's request.
 */
export class StoreTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the telemetry store did not answer within ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
  }
}
