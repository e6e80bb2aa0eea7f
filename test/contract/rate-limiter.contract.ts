import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';

export interface RateLimiterFixture {
  limiter: RateLimiter;
  cleanup?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One contract for every RateLimiter adapter; keys are unique per test so runs never collide. */
export function describeRateLimiterContract(name: string, open: () => Promise<RateLimiterFixture>) {
  describe(`RateLimiter contract: ${name}`, () => {
    let fixture: RateLimiterFixture;
    let limiter: RateLimiter;
    let keyCounter = 0;
    const key = () => `contract:${Date.now()}:${++keyCounter}`;

    beforeEach(async () => {
      fixture = await open();
      limiter = fixture.limiter;
    });
    afterEach(async () => {
      await limiter.close();
      await fixture.cleanup?.();
    });

    it('answers ping', async () => {
      await expect(limiter.ping()).resolves.toBeUndefined();
    });

    it('allows a full burst, counting remaining down, then refuses with a retry delay', async () => {
      const k = key();
      const bucket = { perSecond: 1, burst: 3 };
      const taken = [];
      for (let i = 0; i < 3; i += 1) taken.push(await limiter.take(k, bucket));
      expect(taken.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
      ]);
      expect(taken[0]).toMatchObject({ limit: 3, retryAfterSeconds: 0, resetSeconds: 1 });

      const refused = await limiter.take(k, bucket);
      expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
      // One token comes back per second: the caller may retry in one second, and the bucket is
      // full again within three.
      expect(refused.retryAfterSeconds).toBe(1);
      expect(refused.resetSeconds).toBeGreaterThanOrEqual(2);
      expect(refused.resetSeconds).toBeLessThanOrEqual(3);
    });

    it('charges a cost, and refuses a take larger than what is left without consuming', async () => {
      const k = key();
      const bucket = { perSecond: 1, burst: 10 };
      expect(await limiter.take(k, bucket, 7)).toMatchObject({ allowed: true, remaining: 3 });
      const refused = await limiter.take(k, bucket, 5);
      expect(refused).toMatchObject({ allowed: false, remaining: 3 });
      expect(refused.retryAfterSeconds).toBe(2);
      expect(await limiter.take(k, bucket, 3)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('refills over time', async () => {
      const k = key();
      // 10 tokens a second: one every 100 ms.
      const bucket = { perSecond: 10, burst: 2 };
      await limiter.take(k, bucket);
      await limiter.take(k, bucket);
      expect((await limiter.take(k, bucket)).allowed).toBe(false);
      await sleep(120);
      expect((await limiter.take(k, bucket)).allowed).toBe(true);
      await sleep(250);
      const refilled = [await limiter.take(k, bucket), await limiter.take(k, bucket)];
      expect(refilled.map((d) => d.allowed)).toEqual([true, true]);
    });

    it('never refills beyond the burst', async () => {
      const k = key();
      // One token every 100 ms; the three takes below run within a few milliseconds.
      const bucket = { perSecond: 10, burst: 2 };
      await limiter.take(k, bucket);
      await sleep(300);
      const results = [];
      for (let i = 0; i < 3; i += 1) results.push((await limiter.take(k, bucket)).allowed);
      expect(results).toEqual([true, true, false]);
    });

    it('keeps keys independent', async () => {
      const a = key();
      const b = key();
      const bucket = { perSecond: 0.1, burst: 1 };
      expect((await limiter.take(a, bucket)).allowed).toBe(true);
      expect((await limiter.take(a, bucket)).allowed).toBe(false);
      expect(await limiter.take(b, bucket)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('allows exactly the burst out of 50 concurrent takes on one key', async () => {
      const k = key();
      // Slow refill: nothing comes back while the takes are in flight.
      const bucket = { perSecond: 0.01, burst: 10 };
      const results = await Promise.all(Array.from({ length: 50 }, () => limiter.take(k, bucket)));
      expect(results.filter((d) => d.allowed)).toHaveLength(10);
      expect(results.filter((d) => !d.allowed).every((d) => d.retryAfterSeconds > 0)).toBe(true);
    });
  });
}
