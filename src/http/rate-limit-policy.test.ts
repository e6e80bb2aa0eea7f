import { describe, expect, it } from 'vitest';
import { userViewer, type Viewer } from '../auth/viewer.js';
import type { RateLimitSettings } from '../config.js';
import type { RateLimiter, TokenBucket } from '../ports/rate-limiter.js';
import { createRateLimitPolicy } from './rate-limit-policy.js';

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
});
