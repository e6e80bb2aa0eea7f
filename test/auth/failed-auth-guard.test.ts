/**
 * Failed authentications are charged to the client's address; once it is over its limit, a
 * credential that would need a database lookup is refused before the lookup, while valid callers
 * that cost no lookup (JWTs, keys the cache knows) are still served.
 */
import { describe, expect, it } from 'vitest';
import { createInProcessRateLimiter } from '../../src/adapters/rate-limiter/in-process-rate-limiter.js';
import { createApiKeyVerifier, generateApiKey } from '../../src/auth/api-keys.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import {
  authenticateGuarded,
  createFailedAuthGuard,
  TooManyFailedAuthenticationsError,
} from '../../src/auth/failed-auth-guard.js';
import { createJwtVerifier, signUserToken } from '../../src/auth/jwt.js';
import { InvalidCredentialError } from '../../src/auth/viewer.js';
import { createRateLimitPolicy, FAILED_AUTH_BUCKET } from '../../src/http/rate-limit-policy.js';
import type { ApiKey } from '../../src/ports/api-key-repository.js';

const jwt = { secret: 'a-local-secret-that-is-long-enough-for-hs256!', issuer: 'i', audience: 'a' };
const settings = {
  defaults: {
    device: { perSecond: 1, burst: 1 },
    user: { perSecond: 1, burst: 1 },
    apiKey: { perSecond: 1, burst: 1 },
  },
  byOrganization: {},
};

function setup() {
  const valid = generateApiKey();
  const stored: ApiKey = {
    id: 'key-1',
    organizationId: 'org-a',
    name: 'valid',
    prefix: valid.prefix,
    scopes: ['READ_DEVICES'],
    createdAt: new Date(),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
  };
  let lookups = 0;
  const apiKeys = createApiKeyVerifier({
    repository: {
      async findApiKeyByHash(hash) {
        lookups++;
        return hash === valid.keyHash ? stored : null;
      },
      async recordLastUsed() {},
    },
  });
  const authenticate = createAuthenticator({ jwt: createJwtVerifier(jwt), apiKey: apiKeys.verify });
  const policy = createRateLimitPolicy({ limiter: createInProcessRateLimiter(), settings });
  const attempt = (credential: string | undefined, client = '10.0.0.1') =>
    authenticateGuarded(authenticate, credential, createFailedAuthGuard(policy, client));
  return { attempt, validKey: valid.key, lookups: () => lookups };
}

const forged = () => generateApiKey().key;

/** Fails with forged keys until refused; returns how many failures got through before. */
async function exhaust(attempt: (credential: string) => Promise<unknown>) {
  for (let failures = 0; failures < FAILED_AUTH_BUCKET.burst * 10; failures++) {
    const error = await attempt(forged()).catch((caught: unknown) => caught);
    if (error instanceof TooManyFailedAuthenticationsError) return failures;
    expect(error).toBeInstanceOf(InvalidCredentialError);
  }
  throw new Error('never refused');
}

describe('failed authentication guard', () => {
  it('lets a client fail a burst, then refuses further lookups without making them', async () => {
    const { attempt, lookups } = setup();
    const failures = await exhaust(attempt);
    // The bucket refills while the loop runs, so at least a burst got through.
    expect(failures).toBeGreaterThanOrEqual(FAILED_AUTH_BUCKET.burst);
    expect(lookups()).toBe(failures);
    const refused = await attempt(forged()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TooManyFailedAuthenticationsError);
    expect((refused as TooManyFailedAuthenticationsError).decision).toMatchObject({
      allowed: false,
      retryAfterSeconds: 1,
    });
    expect(lookups()).toBe(failures);
  });

  it('counts every kind of failure: missing, malformed and forged credentials', async () => {
    const { attempt } = setup();
    const failures = [undefined, 'not-a-jwt', 'iotk_short', forged()];
    let refusedAfter = 0;
    for (; refusedAfter < FAILED_AUTH_BUCKET.burst * 10; refusedAfter++) {
      const error = await attempt(failures[refusedAfter % failures.length]).catch(
        (e: unknown) => e,
      );
      if (error instanceof TooManyFailedAuthenticationsError) break;
      expect(error).toBeInstanceOf(InvalidCredentialError);
    }
    expect(refusedAfter).toBeGreaterThanOrEqual(FAILED_AUTH_BUCKET.burst);
    expect(refusedAfter).toBeLessThan(FAILED_AUTH_BUCKET.burst * 10);
  });

  it('still serves valid callers that cost no lookup from an address over its limit', async () => {
    const { attempt, validKey, lookups } = setup();
    await attempt(validKey); // now in the lookup cache
    await exhaust(attempt);
    const before = lookups();
    const token = await signUserToken(
      jwt,
      { subject: 'u', organizationId: 'org-a', role: 'viewer' },
      '1h',
    );
    await expect(attempt(token)).resolves.toMatchObject({ kind: 'user', subject: 'u' });
    await expect(attempt(validKey)).resolves.toMatchObject({ kind: 'apiKey', subject: 'key-1' });
    expect(lookups()).toBe(before);
  });

  it('never charges successes, and keeps addresses apart', async () => {
    const { attempt, validKey } = setup();
    for (let i = 0; i < FAILED_AUTH_BUCKET.burst * 2; i++) await attempt(validKey);
    expect(await exhaust(attempt)).toBeGreaterThanOrEqual(FAILED_AUTH_BUCKET.burst);
    // An IPv6 neighbour is its own client, whatever ':' its address holds.
    await expect(attempt(forged(), '::ffff:10.0.0.1')).rejects.toBeInstanceOf(
      InvalidCredentialError,
    );
    await expect(attempt(forged(), '10.0.0.2')).rejects.toBeInstanceOf(InvalidCredentialError);
  });
});
