/**
 * watchCredential decides when a long-lived connection or stream must end: at the credential's
 * expiry, and for API keys when a periodic re-verification refuses the key. Fake timers: the
 * intervals are the real ones, without waiting for them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  API_KEY_RECHECK_MS,
  watchCredential,
  type CredentialEnd,
} from '../../src/auth/credential-watch.js';
import { InvalidCredentialError, userViewer, type Viewer } from '../../src/auth/viewer.js';

const apiKeyViewer = (expiresAt?: number): Viewer => ({
  kind: 'apiKey',
  subject: 'key-1',
  organizationId: 'org-a',
  permissions: new Set(['telemetry:read']),
  expiresAt,
});

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function watch(viewer: Viewer, reverify?: () => Promise<unknown>) {
  const ends: CredentialEnd[] = [];
  const handle = watchCredential({ viewer, reverify, onEnd: (end) => ends.push(end) });
  return { ends, handle };
}

describe('watchCredential', () => {
  it("ends at a user token's expiry, not before", async () => {
    const { ends } = watch(userViewer('alice', 'org-a', 'viewer', Date.now() + 60_000));
    await vi.advanceTimersByTimeAsync(59_999);
    expect(ends).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ends).toEqual([{ kind: 'expired', reason: 'token expired' }]);
  });

  it('ends at once for a credential that has already expired', () => {
    const { ends } = watch(apiKeyViewer(Date.now() - 1));
    expect(ends).toEqual([{ kind: 'expired', reason: 'API key expired' }]);
  });

  it('re-arms past the 24.8-day timer limit instead of firing early', async () => {
    const days = 30 * 24 * 3_600_000;
    const { ends } = watch(userViewer('alice', 'org-a', 'viewer', Date.now() + days));
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(ends).toEqual([]);
    await vi.advanceTimersByTimeAsync(days - 2 ** 31);
    expect(ends).toHaveLength(1);
  });

  it('re-verifies an API key every interval and ends once the key is refused', async () => {
    let revoked = false;
    const reverify = vi.fn(async () => {
      if (revoked) throw new InvalidCredentialError('API key revoked');
    });
    const { ends } = watch(apiKeyViewer(), reverify);
    await vi.advanceTimersByTimeAsync(API_KEY_RECHECK_MS * 3);
    expect(reverify).toHaveBeenCalledTimes(3);
    expect(ends).toEqual([]);
    revoked = true;
    await vi.advanceTimersByTimeAsync(API_KEY_RECHECK_MS);
    expect(ends).toEqual([{ kind: 'revoked', reason: 'API key revoked' }]);
    await vi.advanceTimersByTimeAsync(API_KEY_RECHECK_MS * 3);
    expect(reverify).toHaveBeenCalledTimes(4);
    expect(ends).toHaveLength(1);
  });

  it('keeps the key when a re-check fails for another reason (database unreachable)', async () => {
    const reverify = vi.fn(async () => {
      throw new Error('connection refused');
    });
    const { ends } = watch(apiKeyViewer(), reverify);
    await vi.advanceTimersByTimeAsync(API_KEY_RECHECK_MS * 2);
    expect(reverify).toHaveBeenCalledTimes(2);
    expect(ends).toEqual([]);
  });

  it('never re-verifies a user token (JWTs cannot be revoked), and stops when told', async () => {
    const reverify = vi.fn(async () => undefined);
    watch(userViewer('alice', 'org-a', 'viewer'), reverify);
    const stopped = watch(apiKeyViewer(Date.now() + 1_000), reverify);
    stopped.handle.stop();
    await vi.advanceTimersByTimeAsync(API_KEY_RECHECK_MS * 2);
    expect(reverify).not.toHaveBeenCalled();
    expect(stopped.ends).toEqual([]);
  });
});
