/**
 * The GraphQL handler remembers verified user JWTs: the same token costs one signature check
 * until its `exp` (or a minute), failures and API keys are never remembered, and one token can
 * never answer for another.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CredentialVerifier } from '../../src/auth/authenticator.js';
import { createJwtVerifier } from '../../src/auth/jwt.js';
import { cacheVerifiedTokens } from '../../src/auth/verified-token-cache.js';
import { InvalidCredentialError, userViewer } from '../../src/auth/viewer.js';
import { userToken } from '../support/tokens.js';

const jwt = {
  secret: 'verified-token-cache-secret-0123456789abcdef',
  issuer: 'iot-analytics',
  audience: 'iot-analytics-api',
};

function counted(verify: CredentialVerifier) {
  const seen: string[] = [];
  const wrapped: CredentialVerifier = (credential, options) => {
    seen.push(credential);
    return verify(credential, options);
  };
  return { seen, wrapped };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('verified token cache', () => {
  it('checks a token once, then answers its own viewer; another token gets its own', async () => {
    const { seen, wrapped } = counted(createJwtVerifier(jwt));
    const verify = cacheVerifiedTokens(wrapped);
    const alice = await userToken(jwt, 'org-a', 'admin');
    const bob = await userToken(jwt, 'org-b', 'viewer');

    const first = await verify(alice);
    expect(await verify(alice)).toBe(first);
    expect(first).toMatchObject({ organizationId: 'org-a', subject: 'admin@org-a' });
    expect(await verify(bob)).toMatchObject({ organizationId: 'org-b', subject: 'viewer@org-b' });
    expect(seen).toEqual([alice, bob]);
  });

  it('never remembers a refusal', async () => {
    const { seen, wrapped } = counted(createJwtVerifier(jwt));
    const verify = cacheVerifiedTokens(wrapped);
    const forged = `${await userToken(jwt, 'org-a', 'admin')}x`;
    await expect(verify(forged)).rejects.toThrow(InvalidCredentialError);
    await expect(verify(forged)).rejects.toThrow(InvalidCredentialError);
    expect(seen).toHaveLength(2);
  });

  it('checks the token again once its exp has passed, and refuses it then', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 0, 1));
    const { seen, wrapped } = counted(createJwtVerifier({ ...jwt, clockToleranceSeconds: 0 }));
    const verify = cacheVerifiedTokens(wrapped);
    const token = await userToken(jwt, 'org-a', 'admin', '10s');
    await verify(token);
    vi.setSystemTime(Date.UTC(2026, 0, 1, 0, 0, 9));
    await verify(token);
    expect(seen).toHaveLength(1);
    vi.setSystemTime(Date.UTC(2026, 0, 1, 0, 0, 11));
    await expect(verify(token)).rejects.toThrow('token expired');
    expect(seen).toHaveLength(2);
  });

  it('trusts a verification for at most maxAgeMs (a withdrawn signing key takes effect)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 0, 1));
    const { seen, wrapped } = counted(createJwtVerifier(jwt));
    const verify = cacheVerifiedTokens(wrapped, { maxAgeMs: 60_000 });
    const token = await userToken(jwt, 'org-a', 'admin', '1h');
    await verify(token);
    vi.setSystemTime(Date.UTC(2026, 0, 1, 0, 0, 59));
    await verify(token);
    expect(seen).toHaveLength(1);
    vi.setSystemTime(Date.UTC(2026, 0, 1, 0, 1, 1));
    await verify(token);
    expect(seen).toHaveLength(2);
  });

  it('passes API keys through every time (their verifier checks revocation)', async () => {
    const { seen, wrapped } = counted(async () =>
      userViewer('key', 'org-a', 'viewer', Date.now() + 60_000),
    );
    const verify = cacheVerifiedTokens(wrapped);
    await verify('iotk_abc');
    await verify('iotk_abc');
    expect(seen).toEqual(['iotk_abc', 'iotk_abc']);
  });
});
