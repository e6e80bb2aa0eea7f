/**
 * A telemetry read that ran past STORE_QUERY_TIMEOUT_MS. The store has stopped it (DuckDB
 * interrupts the statement, InfluxDB's request is closed), so the connection is free again; the
 * API answers STORE_TIMEOUT rather than hold the client's request.
 */
export class StoreTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    options?: {
      cause?: unknown;
      /** What the store did not do in time, when not answering a read. */
      what?: string;
      /** What the caller can do about it. */
      advice?: string;
    },
  ) {
    super(options?.what ?? `the telemetry store did not answer within ${timeoutMs} ms`, options);
    this.name = 'StoreTimeoutError';
    this.advice = options?.advice ?? 'narrow the range or the fleet, or widen the window';
  }

  readonly advice: string;
}
