import { Counter } from 'prom-client';

/** Every failed authentication: a bad device token, API key or JWT, over any transport. */
export const authFailures = new Counter({
  name: 'auth_failures_total',
  help: 'Failed authentications (unknown or revoked device tokens and API keys, invalid JWTs)',
});

/**
 * Requests refused by a rate limit, by whom they were charged to: `device`, `user`, `apiKey`,
 * or `failed_auth` (an address that failed to authenticate too often).
 */
export const rateLimitRejections = new Counter({
  name: 'rate_limit_rejections_total',
  help: 'Requests refused by a rate limit, by subject (device, user, apiKey, failed_auth)',
  labelNames: ['subject'] as const,
});
