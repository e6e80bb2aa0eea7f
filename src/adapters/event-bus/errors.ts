/** The bus holds more unconsumed points than allowed: ingest answers 503 until it drains. */
export class BusOverloadedError extends Error {
  constructor(queued: number) {
    super(`the event bus holds ${queued} unconsumed points; try again shortly`);
    this.name = 'BusOverloadedError';
  }
}

/** The bus cannot accept points now (e.g. Kafka unreachable): nothing was accepted. */
export class BusUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}
