/**
 * Redis over TLS (`rediss://` and REDIS_TLS_CA_FILE) on the TLS-only redis-server of
 * scripts/services/redis.sh: every client the product makes from the config's URL (the live hub,
 * the rate limiter and the latest-values cache, as src/app/processes.ts makes them) does a round
 * trip over TLS; a wrong password and a CA that did not sign the server's certificate are refused
 * with the engine and the cause; config problems never echo the URL's password.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimiter } from '../../src/adapters/rate-limiter/redis-rate-limiter.js';
import { withRedisLatestCache } from '../../src/adapters/telemetry-store/redis-latest-cache.js';
import { productionAdapters } from '../../src/app/production-adapters.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { createLogger } from '../../src/logger.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import {
  capturedLines,
  findSecureService,
  productionConfig,
  testCa,
} from '../support/secure-services.js';
import { uniqueSuffix } from '../support/services.js';

const redis = await findSecureService('redis');

/** The service URL with a password in it. */
function withPassword(url: string, password: string) {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** A store that takes every write and knows nothing, under the cache. */
const acceptingStore = {
  write: async () => ({ rejected: [] }),
  latest: async () => new Map(),
  ping: async () => {},
  close: async () => {},
} as unknown as TelemetryStore;

describe.skipIf(!redis)('Redis over TLS (rediss://)', () => {
  const log = capturedLines();
  const logger = createLogger('debug', 'redis-tls-test', log.destination);
  const closing: (() => Promise<void>)[] = [];
  /** The test's own client (plain ioredis with the CA), to look at what the product stored. */
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis(withPassword(redis!.url, redis!.password), {
      tls: { ca: readFileSync(testCa.file, 'utf8') },
    });
  });
  afterAll(async () => {
    await Promise.allSettled(closing.map((close) => close()));
    await admin.quit();
    expect(log.lines.join('')).not.toContain(redis!.password);
  });

  /** The redis section a process loads from REDIS_URL and REDIS_TLS_CA_FILE. */
  function redisConfig(password: string, caFile: string | null = testCa.file) {
    return productionConfig('api', {
      REDIS_URL: withPassword(redis!.url, password),
      REDIS_TLS_CA_FILE: caFile ?? undefined,
    });
  }

  it('carries points between live hubs over TLS', async () => {
    const config = redisConfig(redis!.password);
    const publisher = productionAdapters.live(config, logger);
    const subscriber = productionAdapters.live(config, logger);
    closing.push(
      () => publisher.close(),
      () => subscriber.close(),
    );
    await Promise.all([publisher.ping(), subscriber.ping()]);
    const orgId = `org-${uniqueSuffix()}`;
    const received: TelemetryPoint[] = [];
    await subscriber.subscribe(orgId, 'dev-1', (point) => received.push(point));
    const point = { orgId, deviceId: 'dev-1', ts: 1, metrics: { temperature: 21.5 } };
    await publisher.publish([point]);
    await expect.poll(() => received).toEqual([point]);
  });

  it('keeps rate-limit buckets and latest values in Redis over TLS (clients made from the URL)', async () => {
    const config = redisConfig(redis!.password);
    const keyPrefix = `test:${uniqueSuffix()}:`;
    // As src/app/processes.ts makes them: from config.redis.url alone.
    const limiter = createRedisRateLimiter({ url: config.redis.url, keyPrefix, logger });
    const cache = withRedisLatestCache(acceptingStore, {
      redis: config.redis.url,
      keyPrefix,
      logger,
    });
    closing.push(
      () => limiter.close(),
      () => cache.close(),
    );
    await limiter.ping();
    const decision = await limiter.take('device:dev-1', { perSecond: 1, burst: 5 });
    expect(decision.allowed).toBe(true);
    // It failed open if the bucket is not in Redis: the take must have reached it.
    expect(await admin.exists(`${keyPrefix}rl:device:dev-1`)).toBe(1);
    await cache.write([{ orgId: 'org-a', deviceId: 'dev-1', ts: 5, metrics: { temperature: 7 } }]);
    const keys = await admin.keys(`${keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(1);
    await admin.del(...keys);
  });

  /** What the live hub's and the rate limiter's pings (each its own ioredis client) fail with. */
  async function refusalsOfBothClients(config: ReturnType<typeof redisConfig>) {
    const hub = productionAdapters.live(config, logger);
    const limiter = createRedisRateLimiter({ url: config.redis.url, logger });
    closing.push(
      () => hub.close(),
      () => limiter.close(),
    );
    return Promise.all(
      [hub.ping(), limiter.ping()].map((ping) => ping.catch((error: unknown) => error)),
    );
  }

  it('refuses a wrong password: "redis: authentication failed"', async () => {
    for (const refused of await refusalsOfBothClients(redisConfig('not-the-password'))) {
      expect(refused).toMatchObject({ engine: 'redis', failure: 'authentication' });
      expect((refused as Error).message).toBe(
        'redis: authentication failed (WRONGPASS invalid username-password pair or user is disabled.)',
      );
    }
  });

  it('refuses a server certificate its CA did not sign: "redis: certificate not trusted"', async () => {
    for (const caFile of [testCa.otherFile, null]) {
      // null: no CA file, Node's public CAs, of which the test CA is not one.
      for (const refused of await refusalsOfBothClients(redisConfig(redis!.password, caFile))) {
        expect(refused).toMatchObject({ engine: 'redis', failure: 'untrusted-certificate' });
        expect((refused as Error).message).toBe(
          'redis: certificate not trusted (self-signed certificate in certificate chain)',
        );
      }
    }
  });

  it('lists bad TLS settings without echoing the URL or its password', () => {
    const secret = 'a-password-that-must-not-show';
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ MODE: 'production', ...env }, 'ingest');
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return '';
    };
    const plain = problems({
      REDIS_URL: `redis://:${secret}@127.0.0.1:6379`,
      REDIS_TLS_CA_FILE: testCa.file,
    });
    expect(plain).toContain('REDIS_TLS_CA_FILE: needs a rediss:// (TLS) REDIS_URL');
    expect(plain).not.toContain(secret);
    const http = problems({ REDIS_URL: `https://:${secret}@127.0.0.1:6380` });
    expect(http).toContain('REDIS_URL: must be a redis:// or rediss:// (TLS) URL');
    expect(http).not.toContain(secret);
    expect(
      problems({ REDIS_URL: 'rediss://127.0.0.1:6380', REDIS_TLS_CA_FILE: '/nonexistent/ca' }),
    ).toContain('REDIS_TLS_CA_FILE: cannot read /nonexistent/ca (ENOENT)');
  });
});

describe('engine URLs that are no URLs at all (no service needed)', () => {
  it('are listed once each, as bad values, whatever TLS setting comes with them', () => {
    const secret = 'a-password-that-must-not-show';
    let message = '';
    try {
      loadConfig({
        MODE: 'production',
        JWT_SECRET: 'a-test-secret-of-at-least-32-characters',
        NOTIFICATION_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
        DATABASE_URL: `not a url ${secret}`,
        DATABASE_SSL_CA_FILE: '/nonexistent/ca',
        REDIS_URL: `not a url ${secret}`,
        REDIS_TLS_CA_FILE: '/nonexistent/ca',
        INFLUX_URL: `not a url ${secret}`,
        INFLUX_DATABASE: 'iot',
        INFLUX_CA_FILE: '/nonexistent/ca',
        KAFKA_BROKERS: '127.0.0.1:9094',
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      message = error.message;
    }
    expect(message.split('\n').slice(1).sort()).toEqual([
      '  - DATABASE_SSL_CA_FILE: cannot read /nonexistent/ca (ENOENT)',
      '  - DATABASE_URL: Invalid URL',
      '  - INFLUX_CA_FILE: cannot read /nonexistent/ca (ENOENT)',
      '  - INFLUX_URL: Invalid URL',
      '  - REDIS_TLS_CA_FILE: cannot read /nonexistent/ca (ENOENT)',
      '  - REDIS_URL: Invalid URL',
    ]);
    expect(message).not.toContain(secret);
  });
});
