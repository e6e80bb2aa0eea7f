import { describe, expect, it } from 'vitest';
import { generateDeviceToken, hashDeviceToken } from '../../src/auth/device-tokens.js';
import { createDeviceAuthenticator } from '../../src/ingest/device-auth.js';
import { createDeviceDouble } from './ingest-test-kit.js';

const identity = { deviceId: 'device-1', organizationId: 'org-1', status: 'ACTIVE' as const };

describe('device tokens', () => {
  it('are dev_ plus 256 random bits in base64url, never repeated', () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateDeviceToken));
    expect(tokens.size).toBe(1000);
    for (const token of [...tokens].slice(0, 10)) {
      expect(token).toMatch(/^dev_[A-Za-z0-9_-]{43}$/);
    }
  });

  it('are stored as their sha256 in hex', () => {
    expect(hashDeviceToken('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('createDeviceAuthenticator', () => {
  it('reads a Bearer token (scheme case-insensitive) and refuses anything else', async () => {
    const token = generateDeviceToken();
    const devices = createDeviceDouble({ [token]: identity });
    const auth = createDeviceAuthenticator({ devices });
    expect(await auth.authenticate(`Bearer ${token}`)).toEqual(identity);
    expect(await auth.authenticate(`bearer ${token}`)).toEqual(identity);
    for (const header of [undefined, '', token, `Basic ${token}`, 'Bearer ', `Bearer x${token}`]) {
      expect(await auth.authenticate(header)).toBeNull();
    }
    expect(await auth.authenticate(`Bearer ${'x'.repeat(10_000)}`)).toBeNull();
  });

  it('shares one lookup among concurrent requests with the same token', async () => {
    const token = generateDeviceToken();
    const devices = createDeviceDouble({ [token]: identity });
    const auth = createDeviceAuthenticator({ devices });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => auth.authenticate(`Bearer ${token}`)),
    );
    expect(results.every((result) => result?.deviceId === 'device-1')).toBe(true);
    expect(devices.lookups).toBe(1);
  });

  it('looks up the tokens of concurrent requests in one query, known and unknown alike', async () => {
    const tokens = Array.from({ length: 40 }, generateDeviceToken);
    const devices = createDeviceDouble(
      Object.fromEntries(
        tokens.slice(0, 30).map((token, i) => [token, { ...identity, deviceId: `d-${i}` }]),
      ),
    );
    const auth = createDeviceAuthenticator({ devices });
    const results = await Promise.all(tokens.map((token) => auth.authenticate(`Bearer ${token}`)));
    expect(results.slice(0, 30).map((result) => result?.deviceId)).toEqual(
      tokens.slice(0, 30).map((_, i) => `d-${i}`),
    );
    expect(results.slice(30)).toEqual(Array(10).fill(null));
    expect(devices.lookups).toBe(1);
    expect(devices.asked[0]).toHaveLength(40);
  });

  it('caches misses too, and answers anew after the TTL', async () => {
    const devices = createDeviceDouble({});
    const auth = createDeviceAuthenticator({ devices, ttlMs: 100 });
    for (let i = 0; i < 10; i++) expect(await auth.authenticate('Bearer dev_guess')).toBeNull();
    expect(devices.lookups).toBe(1);
    devices.byHash.set(hashDeviceToken('dev_guess'), identity);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await auth.authenticate('Bearer dev_guess')).toEqual(identity);
    expect(devices.lookups).toBe(2);
  });

  it('stays bounded: the least recently used entry is dropped past maxEntries', async () => {
    const devices = createDeviceDouble({});
    const auth = createDeviceAuthenticator({ devices, maxEntries: 2 });
    await auth.authenticate('Bearer dev_a');
    await auth.authenticate('Bearer dev_b');
    await auth.authenticate('Bearer dev_c');
    await auth.authenticate('Bearer dev_a');
    expect(devices.lookups).toBe(4);
  });

  it('does not cache a failed lookup', async () => {
    const token = generateDeviceToken();
    const devices = createDeviceDouble({ [token]: identity });
    const auth = createDeviceAuthenticator({ devices });
    devices.fail = true;
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toThrow('database unreachable');
    devices.fail = false;
    expect(await auth.authenticate(`Bearer ${token}`)).toEqual(identity);
  });
});
