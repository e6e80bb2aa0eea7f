import type { RateLimitDecision } from '../ports/rate-limiter.js';

/**
 * The IETF httpapi draft's RateLimit-Limit / -Remaining / -Reset (delta seconds), plus
 * Retry-After (RFC 9110) when the request was refused.
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
    ...(decision.allowed ? {} : { 'retry-after': String(decision.retryAfterSeconds) }),
  };
}

export function rateLimitedMessage(decision: RateLimitDecision): string {
  return `rate limit exceeded; retry in ${decision.retryAfterSeconds} s`;
}
