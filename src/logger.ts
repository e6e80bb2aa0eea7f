import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Credentials are redacted by path as a second line of defence: code never
 * logs tokens or request bodies in the first place. `destination` defaults to stdout.
 */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
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
