import { LRUCache } from 'lru-cache';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import { decide, msUntilFull } from './token-bucket.js';

export interface InProcessRateLimiterOptions {
  /**
   * Most buckets kept. Past it the least recently used bucket is dropped, which refills it: a
   * memory bound that errs on the side of allowing.
   */
  maxBuckets?: number;
}

interface BucketState {
  tokens: number;
  at: number;
}

/**
 * Token buckets in a Map for the embedded (single-process) mode. Each entry expires when its
 * bucket would be full again, which is exactly the state of a bucket never seen, so idle
 * subjects cost no memory. lru-cache gives per-entry TTLs and the size bound.
 */
export function createInProcessRateLimiter(options: InProcessRateLimiterOptions = {}): RateLimiter {
  const { maxBuckets = 100_000 } = options;
  // performance.now, the clock lru-cache's TTLs use too: entries expire exactly when full.
  const now = () => performance.now();
  const buckets = new LRUCache<string, BucketState>({ max: maxBuckets, ttlAutopurge: false });

  return {
    async take(key, bucket, cost = 1) {
      const at = now();
      const state = buckets.get(key);
      const elapsed = state ? Math.max(0, at - state.at) : 0;
      let tokens = state
        ? Math.min(bucket.burst, state.tokens + (elapsed * bucket.perSecond) / 1000)
        : bucket.burst;
      const allowed = tokens >= cost;
      if (allowed) tokens -= cost;
      const ttl = msUntilFull(bucket, tokens);
      if (ttl > 0) buckets.set(key, { tokens, at }, { ttl });
      else buckets.delete(key);
      return decide(bucket, cost, allowed, tokens);
    },
    async ping() {},
    async close() {
      buckets.clear();
    },
  };
}
