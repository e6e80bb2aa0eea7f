import { pino, type DestinationStream, type Logger } from 'pino';
import { traceLogFields } from './tracing/spans.js';

export type { Logger };

/**
 * Structured JSON logs. Credentials are redacted by path as a second line of defence: code never
 * logs tokens or request bodies in the first place. A line written while a span is active (an
 * ingest request, a GraphQL operation, a pipeline batch) carries its `trace_id` and `span_id`,
 * to find the trace from the log and back. `destination` defaults to stdout.
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      mixin: () => traceLogFields(),
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'token',
          '*.token',
          'password',
          '*.password',
          'secret',
          '*.secret',
          'signingSecret',
          '*.signingSecret',
          'routingKey',
          '*.routingKey',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
