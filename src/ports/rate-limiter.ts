/** A token bucket: `burst` requests at once, refilled at `perSecond` tokens per second. */
export interface TokenBucket {
  perSecond: number;
  burst: number;
}

/** The outcome of one take, with what the RateLimit-* and Retry-After headers need. */
export interface RateLimitDecision {
  allowed: boolean;
  /** The bucket's size (`burst`). */
  limit: number;
  /** Whole tokens left after this take. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** 0 when allowed; otherwise seconds until this take would succeed. */
  retryAfterSeconds: number;
}

/**
 * Token-bucket rate limiting per key: in process when embedded, in Redis in production so every
 * replica shares one bucket per subject. Buckets start full; a refused take consumes nothing.
 */
export interface RateLimiter {
  take(key: string, bucket: TokenBucket, cost?: number): Promise<RateLimitDecision>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
