import { describe, expect, it } from 'vitest';
import { userViewer, type Viewer } from '../auth/viewer.js';
import type { RateLimitSettings } from '../config/index.js';
import type { RateLimiter, TokenBucket } from '../ports/rate-limiter.js';
import { createInProcessRateLimiter } from '../adapters/rate-limiter/in-process-rate-limiter.js';
import { createRateLimitPolicy, FAILED_AUTH_BUCKET } from './rate-limit-policy.js';

const settings: RateLimitSettings = {
  defaults: {
    device: { perSecond: 1, burst: 10 },
    user: { perSecond: 2, burst: 20 },
    apiKey: { perSecond: 3, burst: 30 },
  },
  byOrganization: { big: { user: { perSecond: 9, burst: 90 } } },
};

/** Records which key and bucket each subject is charged to. */
function recordingPolicy() {
  const takes: [string, TokenBucket][] = [];
  const limiter: RateLimiter = {
    async take(key, bucket) {
      takes.push([key, bucket]);
      return { allowed: true, limit: 0, remaining: 0, resetSeconds: 0, retryAfterSeconds: 0 };
    },
    async ping() {},
    async close() {},
  };
  return { takes, policy: createRateLimitPolicy({ limiter, settings }) };
}

const apiKey = (organizationId: string): Viewer => ({
  kind: 'apiKey',
  subject: 'key-1',
  organizationId,
  permissions: new Set(),
});

describe('rate limit policy', () => {
  it('charges each kind of subject to its own key and default bucket', async () => {
    const { takes, policy } = recordingPolicy();
    await policy.device({ deviceId: 'd1', organizationId: 'small' });
    await policy.viewer(userViewer('alice', 'small', 'viewer'));
    await policy.viewer(apiKey('small'));
    expect(takes).toEqual([
      ['device:d1', settings.defaults.device],
      ['user:small:alice', settings.defaults.user],
      ['apiKey:key-1', settings.defaults.apiKey],
    ]);
  });

  it("uses an organization's override for the kinds it lists, the defaults for the rest", async () => {
    const { takes, policy } = recordingPolicy();
    await policy.viewer(userViewer('alice', 'big', 'viewer'));
    await policy.viewer(apiKey('big'));
    await policy.device({ deviceId: 'd1', organizationId: 'big' });
    expect(takes.map(([, bucket]) => bucket)).toEqual([
      { perSecond: 9, burst: 90 },
      settings.defaults.apiKey,
      settings.defaults.device,
    ]);
  });

  it('keeps the same user id in two organizations apart', async () => {
    const { takes, policy } = recordingPolicy();
    await policy.viewer(userViewer('alice', 'small', 'viewer'));
    await policy.viewer(userViewer('alice', 'big', 'viewer'));
    expect(takes.map(([key]) => key)).toEqual(['user:small:alice', 'user:big:alice']);
  });

  it("never lets ':' in a claim make two users share a bucket", async () => {
    const { takes, policy } = recordingPolicy();
    await policy.viewer(userViewer('b:c', 'a', 'viewer'));
    await policy.viewer(userViewer('c', 'a:b', 'viewer'));
    const [first, second] = takes.map(([key]) => key);
    expect(first).not.toBe(second);
    expect(first).toBe('user:a:b%3Ac');
    expect(second).toBe('user:a%3Ab:c');
  });

  it('charges failed authentications to the client address, percent-encoded', async () => {
    const { takes, policy } = recordingPolicy();
    await policy.authFailure('::ffff:10.0.0.1');
    await policy.authAttempt('10.0.0.1');
    expect(takes).toEqual([
      ['authFailures:%3A%3Affff%3A10.0.0.1', FAILED_AUTH_BUCKET],
      ['authFailures:10.0.0.1', FAILED_AUTH_BUCKET],
    ]);
  });

  it('authAttempt only looks: it refuses once failures emptied the bucket, and charges nothing', async () => {
    const policy = createRateLimitPolicy({ limiter: createInProcessRateLimiter(), settings });
    for (let i = 0; i < 1_000; i++) {
      expect((await policy.authAttempt('10.0.0.9')).allowed).toBe(true);
    }
    let failures = 0;
    while ((await policy.authFailure('10.0.0.9')).allowed) failures++;
    expect(failures).toBeGreaterThanOrEqual(FAILED_AUTH_BUCKET.burst);
    expect(await policy.authAttempt('10.0.0.9')).toMatchObject({
      allowed: false,
      retryAfterSeconds: 1,
    });
    expect((await policy.authAttempt('10.0.0.10')).allowed).toBe(true);
  });
});
