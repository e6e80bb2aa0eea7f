/**
 * Why a production engine refused us, said plainly: "kafka: SASL authentication failed (…)",
 * "redis: certificate not trusted (self-signed certificate in certificate chain)". The adapters
 * turn the errors of their clients (kafkajs, ioredis, pg, node:https) into these where a
 * connection is checked or first made (ping, start), so an operator reads the engine and the
 * cause in /ready or in the failed start, not a retry counter or a timeout. Messages carry the
 * client's own words about the cause, never a setting's value: no URL, no password.
 */

/** The engines, as /ready names them. */
export type Engine = 'kafka' | 'redis' | 'postgres' | 'influxdb';

/** What went wrong, for code that decides by it (tests, mostly). */
export type ConnectionFailure =
  /** The server's certificate chain does not lead to a CA we trust (wrong or missing CA file). */
  | 'untrusted-certificate'
  /** The certificate is trusted but is for another host name (or address). */
  | 'certificate-host-mismatch'
  /** Expired or not valid yet. */
  | 'certificate-expired'
  /** The TLS handshake itself failed: TLS to a plaintext port, no common protocol version. */
  | 'tls-handshake'
  /** The server does not speak TLS where it was asked to (PostgreSQL without ssl=on). */
  | 'tls-unavailable'
  /** Wrong user name or password (or the mechanism is not enabled for the user). */
  | 'authentication'
  /** Authenticated, or about to be, but the server does not let us in (pg_hba.conf, ACLs). */
  | 'not-allowed'
  /** Anything else (unreachable, timeouts, …): the client's message follows the engine's name. */
  | 'other';

export class EngineConnectionError extends Error {
  constructor(
    readonly engine: Engine,
    readonly failure: ConnectionFailure,
    /** The cause without the engine's name: "certificate not trusted (…)". */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${engine}: ${reason}`, options);
    this.name = 'EngineConnectionError';
  }
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);
const HOST_MISMATCH = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
  'HOSTNAME_MISMATCH',
]);
const EXPIRED = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
]);

interface Described {
  failure: ConnectionFailure;
  message: string;
}

/** An engine-specific reading of one error of the chain (auth failures are worded per client). */
export type Classifier = (error: Error & { code?: unknown }) => Described | undefined;

/** The error and what it wraps: `cause`, kafkajs's `originalError`, an AggregateError's errors. */
function* chain(error: unknown, depth = 0): Generator<Error & { code?: unknown }> {
  if (!(error instanceof Error) || depth > 8) return;
  yield error;
  const wrapped = error as Error & { originalError?: unknown; errors?: unknown };
  yield* chain(wrapped.cause, depth + 1);
  yield* chain(wrapped.originalError, depth + 1);
  if (Array.isArray(wrapped.errors)) {
    for (const inner of wrapped.errors) yield* chain(inner, depth + 1);
  }
}

/** Node's TLS failures, whichever client met them. */
export function describeTlsError(error: Error & { code?: unknown }): Described | undefined {
  const code = typeof error.code === 'string' ? error.code : '';
  // kafkajs prefixes "Connection error: " to the socket's message; the cause is what follows.
  const reason = error.message.replace(/^Connection error: /, '');
  if (UNTRUSTED.has(code))
    return { failure: 'untrusted-certificate', message: `certificate not trusted (${reason})` };
  if (HOST_MISMATCH.has(code)) {
    return {
      failure: 'certificate-host-mismatch',
      message: `certificate is for another host (${reason})`,
    };
  }
  if (EXPIRED.has(code))
    return { failure: 'certificate-expired', message: `certificate not valid now (${reason})` };
  if (code.startsWith('ERR_SSL_') || (code === 'EPROTO' && /SSL|TLS/i.test(reason))) {
    return { failure: 'tls-handshake', message: `TLS handshake failed (${reason})` };
  }
  return undefined;
}

/**
 * `error` as an EngineConnectionError naming `engine` and the cause: the first error of its chain
 * that `classify` or the TLS reading recognizes, else the outermost message. An
 * EngineConnectionError passes through as it is.
 */
export function describeConnectionError(
  engine: Engine,
  error: unknown,
  classify?: Classifier,
): EngineConnectionError {
  if (error instanceof EngineConnectionError) return error;
  for (const link of chain(error)) {
    const described = classify?.(link) ?? describeTlsError(link);
    if (described) {
      return new EngineConnectionError(engine, described.failure, described.message, {
        cause: error,
      });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EngineConnectionError(engine, 'other', message, { cause: error });
}
