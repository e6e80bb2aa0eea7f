import type { RateLimitDecision } from '../ports/rate-limiter.js';
import type { CredentialVerifier } from './authenticator.js';
import { InvalidCredentialError, type Viewer } from './viewer.js';

/** What the guard needs of the rate-limit policy: one bucket per client address. */
export interface FailedAuthLimits {
  /** Whether the client may still try a credential that costs a lookup; charges nothing. */
  authAttempt(client: string): Promise<RateLimitDecision>;
  /** Charges one failed authentication; refused once the client is over its limit. */
  authFailure(client: string): Promise<RateLimitDecision>;
}

/** The client failed to authenticate too often: answer 429 (or close with 4429), look nothing up. */
export class TooManyFailedAuthenticationsError extends Error {
  constructor(readonly decision: RateLimitDecision) {
    super(`too many failed authentications; retry in ${decision.retryAfterSeconds} s`);
    this.name = 'TooManyFailedAuthenticationsError';
  }
}

export interface FailedAuthGuard {
  /** For VerifyOptions.beforeLookup and the device authenticator: refuses an over-limit client. */
  beforeLookup(): Promise<void>;
  /** Charges a failure; throws TooManyFailedAuthenticationsError if that exhausts the bucket. */
  failed(): Promise<void>;
}

/**
 * Throttles unauthenticated clients by address: only failures are charged (a valid caller never
 * pays), and once a client is over its limit, credentials that would need a database lookup
 * (API keys and device tokens the caches do not know) are refused before the lookup. Valid JWTs
 * cost no lookup and are never refused. Without limits (tests, tools) the guard allows all.
 */
export function createFailedAuthGuard(
  limits: FailedAuthLimits | undefined,
  client: string,
): FailedAuthGuard {
  return {
    async beforeLookup() {
      const decision = await limits?.authAttempt(client);
      if (decision && !decision.allowed) throw new TooManyFailedAuthenticationsError(decision);
    },
    async failed() {
      const decision = await limits?.authFailure(client);
      if (decision && !decision.allowed) throw new TooManyFailedAuthenticationsError(decision);
    },
  };
}

/**
 * Verifies a bearer credential (undefined: none was sent) under the guard. Throws
 * InvalidCredentialError for a bad credential, TooManyFailedAuthenticationsError instead once
 * the client is over its limit.
 */
export async function authenticateGuarded(
  authenticate: CredentialVerifier,
  credential: string | undefined,
  guard: FailedAuthGuard,
): Promise<Viewer> {
  try {
    if (credential === undefined) throw new InvalidCredentialError('no credential');
    return await authenticate(credential, { beforeLookup: () => guard.beforeLookup() });
  } catch (error) {
    if (error instanceof InvalidCredentialError) await guard.failed();
    throw error;
  }
}
