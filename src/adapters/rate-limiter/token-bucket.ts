import type { RateLimitDecision, TokenBucket } from '../../ports/rate-limiter.js';

/**
 * The decision both adapters report from the same numbers: the bucket's tokens after the take
 * (refilled, and reduced by `cost` only when allowed). The Redis adapter runs the refill itself in
 * Lua, so only this part is shared.
 */
export function decide(
  bucket: TokenBucket,
  cost: number,
  allowed: boolean,
  tokens: number,
): RateLimitDecision {
  return {
    allowed,
    limit: bucket.burst,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.max(0, Math.ceil((bucket.burst - tokens) / bucket.perSecond)),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((cost - tokens) / bucket.perSecond)),
  };
}

/** Milliseconds until a bucket holding `tokens` is full; the state may be forgotten after it. */
export function msUntilFull(bucket: TokenBucket, tokens: number): number {
  return Math.ceil(((bucket.burst - tokens) * 1000) / bucket.perSecond);
}
