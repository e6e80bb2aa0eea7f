import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../../src/adapters/rate-limiter/redis-rate-limiter.js';
import { findService, uniqueSuffix } from '../support/services.js';
import { describeRateLimiterContract } from './rate-limiter.contract.js';

const redisUrl = await findService('redis');

describe.skipIf(!redisUrl)('Redis rate limiter', () => {
  describeRateLimiterContract('redis', async () => ({
    limiter: createRedisRateLimiter({ url: redisUrl!, keyPrefix: `test:${uniqueSuffix()}:` }),
  }));

  describe('Redis specifics', () => {
    let admin: Redis;
    beforeAll(() => {
      admin = new Redis(redisUrl!);
    });
    afterAll(async () => {
      await admin.quit();
    });

    it('shares one bucket between replicas', async () => {
      const keyPrefix = `test:${uniqueSuffix()}:`;
      const replicas = [
        createRedisRateLimiter({ url: redisUrl!, keyPrefix }),
        createRedisRateLimiter({ url: redisUrl!, keyPrefix }),
      ];
      try {
        const bucket = { perSecond: 0.01, burst: 4 };
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => replicas[i % 2]!.take('device:d1', bucket)),
        );
        expect(results.filter((d) => d.allowed)).toHaveLength(4);
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
      }
    });

    it('answers each of many concurrent takes from its own bucket, in order', async () => {
      const limiter = createRedisRateLimiter({
        url: redisUrl!,
        keyPrefix: `test:${uniqueSuffix()}:`,
      });
      try {
        // Key i holds i tokens; each is asked for one token i + 1 times, plus a take of cost 2.
        const takes = Array.from({ length: 30 }, (_, i) => i + 1).flatMap((burst) =>
          Array.from({ length: burst + 1 }, () => ({
            key: `k${burst}`,
            bucket: { perSecond: 0.01, burst },
          })),
        );
        const decisions = await Promise.all(
          takes.map(({ key, bucket }) => limiter.take(key, bucket)),
        );
        for (let burst = 1; burst <= 30; burst++) {
          const mine = decisions.filter((_, i) => takes[i]!.key === `k${burst}`);
          expect(mine.map((d) => d.allowed)).toEqual([...Array(burst).fill(true), false]);
          expect(mine.map((d) => d.remaining).slice(0, burst)).toEqual(
            Array.from({ length: burst }, (_, i) => burst - 1 - i),
          );
        }
        const costly = await limiter.take('k30', { perSecond: 0.01, burst: 30 }, 2);
        expect(costly.allowed).toBe(false);
      } finally {
        await limiter.close();
      }
    });

    it('keys the bucket under the prefix and lets it expire once it would be full again', async () => {
      const keyPrefix = `test:${uniqueSuffix()}:`;
      const limiter = createRedisRateLimiter({ url: redisUrl!, keyPrefix });
      try {
        await limiter.take('user:org:sub', { perSecond: 10, burst: 5 }, 2);
        const ttl = await admin.pttl(`${keyPrefix}rl:user:org:sub`);
        // Two tokens at 10 a second: full again in 200 ms.
        expect(ttl).toBeGreaterThan(100);
        expect(ttl).toBeLessThanOrEqual(200);
      } finally {
        await limiter.close();
      }
    });

    it('fails open, quickly, when Redis is unreachable', async () => {
      // A port nothing listens on.
      const limiter = createRedisRateLimiter({ url: 'redis://127.0.0.1:1', timeoutMs: 200 });
      try {
        const started = Date.now();
        const bucket = { perSecond: 1, burst: 1 };
        const results = [await limiter.take('k', bucket), await limiter.take('k', bucket)];
        expect(results.map((d) => d.allowed)).toEqual([true, true]);
        expect(Date.now() - started).toBeLessThan(1_000);
      } finally {
        await limiter.close();
      }
    });
  });
});
