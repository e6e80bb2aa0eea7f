import type { Viewer } from '../auth/viewer.js';
import type { RateLimitSettings, RateLimitSubject } from '../config.js';
import type { RateLimitDecision, RateLimiter } from '../ports/rate-limiter.js';

/** Whom a request is charged to: ingest charges devices, GraphQL charges users and API keys. */
export interface RateLimitPolicy {
  device(device: { deviceId: string; organizationId: string }): Promise<RateLimitDecision>;
  viewer(viewer: Viewer): Promise<RateLimitDecision>;
}

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

  return {
    device: ({ deviceId, organizationId }) =>
      limiter.take(`device:${deviceId}`, bucketFor('device', organizationId)),
    viewer: (viewer) =>
      viewer.kind === 'user'
        ? limiter.take(
            `user:${encodeURIComponent(viewer.organizationId)}:${encodeURIComponent(viewer.subject)}`,
            bucketFor('user', viewer.organizationId),
          )
        : limiter.take(`apiKey:${viewer.subject}`, bucketFor('apiKey', viewer.organizationId)),
  };
}
