import { describe, expect, it } from 'vitest';
import type { ApiKey } from '../ports/api-key-repository.js';
import { createApiKeyVerifier, generateApiKey, hashApiKey } from './api-keys.js';
import { InvalidCredentialError } from './viewer.js';

function fakeRepository(keys: { key: string; stored: ApiKey }[]) {
  const lookups: string[] = [];
  const writes: Map<string, number>[] = [];
  const byHash = new Map(keys.map(({ key, stored }) => [hashApiKey(key), stored]));
  return {
    lookups,
    writes,
    repository: {
      async findApiKeyByHash(keyHash: string) {
        lookups.push(keyHash);
        return byHash.get(keyHash) ?? null;
      },
      async recordLastUsed(batch: ReadonlyMap<string, number>) {
        writes.push(new Map(batch));
      },
    },
  };
}

function storedKey(id: string, extra: Partial<ApiKey> = {}): ApiKey {
  return {
    id,
    organizationId: 'org-a',
    name: id,
    prefix: 'iotk_xxxxxx',
    scopes: ['READ_TELEMETRY', 'MANAGE_DEVICES'],
    createdAt: new Date(),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('API key verifier', () => {
  it('issues iotk_ keys of 256 random bits, hashed, with a short display prefix', () => {
    const { key, keyHash, prefix } = generateApiKey();
    expect(key).toMatch(/^iotk_[A-Za-z0-9_-]{43}$/);
    expect(keyHash).toBe(hashApiKey(key));
    expect(keyHash).not.toContain(key.slice(5));
    expect(key.startsWith(prefix)).toBe(true);
    expect(prefix.length).toBeLessThan(16);
    expect(generateApiKey().key).not.toBe(key);
  });

  it("turns a key into an API-key viewer with its scopes' permissions, never keys:manage", async () => {
    const { key } = generateApiKey();
    const expiresAt = new Date(Date.now() + 60_000);
    const fake = fakeRepository([{ key, stored: storedKey('k1', { expiresAt }) }]);
    const verifier = createApiKeyVerifier({ repository: fake.repository });
    const viewer = await verifier.verify(key);
    expect(viewer).toEqual({
      kind: 'apiKey',
      subject: 'k1',
      organizationId: 'org-a',
      permissions: new Set(['telemetry:read', 'devices:manage']),
      expiresAt: expiresAt.getTime(),
    });
    await verifier.close();
  });

  it('refuses malformed keys without a lookup, and caches hits and misses', async () => {
    const { key } = generateApiKey();
    const fake = fakeRepository([{ key, stored: storedKey('k1') }]);
    const verifier = createApiKeyVerifier({ repository: fake.repository });
    await expect(verifier.verify('iotk_short')).rejects.toBeInstanceOf(InvalidCredentialError);
    expect(fake.lookups).toHaveLength(0);

    await Promise.all([verifier.verify(key), verifier.verify(key), verifier.verify(key)]);
    const unknown = generateApiKey().key;
    for (let i = 0; i < 3; i++) {
      await expect(verifier.verify(unknown)).rejects.toThrow('API key is not valid');
    }
    expect(fake.lookups).toHaveLength(2);
    await verifier.close();
  });

  it('refuses revoked keys, and expired ones even from the cache', async () => {
    const revoked = generateApiKey().key;
    const expiring = generateApiKey().key;
    const fake = fakeRepository([
      { key: revoked, stored: storedKey('revoked', { revokedAt: new Date(Date.now() - 1) }) },
      {
        key: expiring,
        stored: storedKey('expiring', { expiresAt: new Date(Date.now() + 150) }),
      },
    ]);
    const verifier = createApiKeyVerifier({ repository: fake.repository, ttlMs: 60_000 });
    await expect(verifier.verify(revoked)).rejects.toThrow('API key revoked');
    await expect(verifier.verify(expiring)).resolves.toMatchObject({ subject: 'expiring' });
    await sleep(200);
    await expect(verifier.verify(expiring)).rejects.toThrow('API key expired');
    await verifier.close();
  });

  it('writes last-used behind, batched, at most once per key per interval', async () => {
    const a = generateApiKey().key;
    const b = generateApiKey().key;
    const fake = fakeRepository([
      { key: a, stored: storedKey('a') },
      { key: b, stored: storedKey('b') },
    ]);
    const verifier = createApiKeyVerifier({
      repository: fake.repository,
      lastUsedFlushMs: 50,
      lastUsedIntervalMs: 60_000,
    });
    for (let i = 0; i < 20; i++) await Promise.all([verifier.verify(a), verifier.verify(b)]);
    // Nothing is written on the request's path.
    expect(fake.writes).toHaveLength(0);
    await sleep(150);
    expect(fake.writes).toHaveLength(1);
    expect([...fake.writes[0]!.keys()].sort()).toEqual(['a', 'b']);

    for (let i = 0; i < 20; i++) await verifier.verify(a);
    await verifier.close();
    expect(fake.writes).toHaveLength(1);
  });

  it('keeps serving when the last-used write fails, and close() flushes what is pending', async () => {
    const key = generateApiKey().key;
    const fake = fakeRepository([{ key, stored: storedKey('k') }]);
    let attempts = 0;
    const verifier = createApiKeyVerifier({
      repository: {
        ...fake.repository,
        async recordLastUsed() {
          attempts++;
          throw new Error('database down');
        },
      },
      lastUsedFlushMs: 60_000,
    });
    await expect(verifier.verify(key)).resolves.toMatchObject({ subject: 'k' });
    await verifier.close();
    expect(attempts).toBe(1);
  });
});
