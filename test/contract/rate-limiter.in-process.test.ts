import { describe, expect, it } from 'vitest';
import { createInProcessRateLimiter } from '../../src/adapters/rate-limiter/in-process-rate-limiter.js';
import { describeRateLimiterContract } from './rate-limiter.contract.js';

describeRateLimiterContract('in-process', async () => ({ limiter: createInProcessRateLimiter() }));

describe('in-process rate limiter specifics', () => {
  it('stays within maxBuckets, forgetting the least recently used bucket (which refills it)', async () => {
    const limiter = createInProcessRateLimiter({ maxBuckets: 2 });
    const bucket = { perSecond: 0.01, burst: 1 };
    await limiter.take('a', bucket);
    await limiter.take('b', bucket);
    await limiter.take('c', bucket);
    expect((await limiter.take('c', bucket)).allowed).toBe(false);
    expect((await limiter.take('a', bucket)).allowed).toBe(true);
  });
});
