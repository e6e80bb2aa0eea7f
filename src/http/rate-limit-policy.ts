import type { FailedAuthLimits } from '../auth/failed-auth-guard.js';
import type { Viewer } from '../auth/viewer.js';
import type { RateLimitSettings, RateLimitSubject } from '../config/index.js';
import { authFailures, rateLimitRejections } from '../metrics/auth-metrics.js';
import type { RateLimitDecision, RateLimiter, TokenBucket } from '../ports/rate-limiter.js';

/**
 * Whom a request is charged to: ingest charges devices, GraphQL charges users and API keys, and
 * failed authentications (ingest and GraphQL, HTTP and WebSocket) are charged to the client's
 * address.
 */
export interface RateLimitPolicy extends FailedAuthLimits {
  device(device: { deviceId: string; organizationId: string }): Promise<RateLimitDecision>;
  viewer(viewer: Viewer): Promise<RateLimitDecision>;
}

/**
 * Failed authentications per client address. Fixed rather than configured: a client that is
 * not a scanner fails a handful of times (an expired token, a rotated key) and retries slowly,
 * so 10 a second with a burst of 50 never touches a real caller, while a forged-credential flood
 * costs at most 10 database lookups a second per address.
 */
export const FAILED_AUTH_BUCKET: TokenBucket = { perSecond: 10, burst: 50 };

/**
 * Picks each subject's bucket (the organization's override, else the default for its kind) and
 * its key. Device and API key ids are globally unique; a user's `sub` is only unique within its
 * issuer's organization, so user keys carry the organization. Both come from token claims and
 * may hold ':', so each is percent-encoded: `org a:b` + `sub c` never meets `org a` + `sub b:c`.
 */
export function createRateLimitPolicy(options: {
  limiter: RateLimiter;
  settings: RateLimitSettings;
}): RateLimitPolicy {
  const { limiter, settings } = options;
  const bucketFor = (kind: RateLimitSubject, organizationId: string) =>
    settings.byOrganization[organizationId]?.[kind] ?? settings.defaults[kind];
  const clientKey = (client: string) => `authFailures:${encodeURIComponent(client)}`;

  /** Counts a refusal under its subject (rate_limit_rejections_total). */
  const counted = (subject: string) => (decision: RateLimitDecision) => {
    if (!decision.allowed) rateLimitRejections.inc({ subject });
    return decision;
  };
  const refusedDevice = counted('device');
  const refusedUser = counted('user');
  const refusedApiKey = counted('apiKey');
  const refusedFailedAuth = counted('failed_auth');

  return {
    device: ({ deviceId, organizationId }) =>
      limiter.take(`device:${deviceId}`, bucketFor('device', organizationId)).then(refusedDevice),
    viewer: (viewer) =>
      viewer.kind === 'user'
        ? limiter
            .take(
              `user:${encodeURIComponent(viewer.organizationId)}:${encodeURIComponent(viewer.subject)}`,
              bucketFor('user', viewer.organizationId),
            )
            .then(refusedUser)
        : limiter
            .take(`apiKey:${viewer.subject}`, bucketFor('apiKey', viewer.organizationId))
            .then(refusedApiKey),
    async authAttempt(client) {
      // A take of 0 tokens changes nothing (both adapters) and reports what is left: a peek.
      const peek = await limiter.take(clientKey(client), FAILED_AUTH_BUCKET, 0);
      if (peek.remaining >= 1) return peek;
      const retryAfterSeconds = Math.max(1, Math.ceil(1 / FAILED_AUTH_BUCKET.perSecond));
      return refusedFailedAuth({ ...peek, allowed: false, retryAfterSeconds });
    },
    authFailure(client) {
      authFailures.inc();
      return limiter.take(clientKey(client), FAILED_AUTH_BUCKET).then(refusedFailedAuth);
    },
  };
}
