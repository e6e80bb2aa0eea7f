import type { Logger } from '../../logger.js';
import type { RateLimiter, TokenBucket } from '../../ports/rate-limiter.js';
import { createRedisClient, pingRedis } from '../connections/redis-connection.js';
import { decide } from './token-bucket.js';

export interface RedisRateLimiterOptions {
  /** redis:// or rediss:// (TLS, with its CA file: src/adapters/connections/redis-url.ts). */
  url: string;
  /** Prepended to every key, so several deployments (or test files) share one Redis. */
  keyPrefix?: string;
  logger?: Logger;
  /** How long a take may wait for Redis before it fails open. */
  timeoutMs?: number;
  /** At most one "failing open" warning per this interval, however many takes fail. */
  failOpenLogIntervalMs?: number;
}

/**
 * One atomic step per take: refill by elapsed time, take `cost` if there is enough, store the
 * state and let the key expire when the bucket would be full again (an absent key is a full
 * bucket). The clock is Redis's TIME, so every replica agrees on it whatever their own clocks say.
 * Returns {allowed, tokens-as-string}: Lua numbers would be truncated to integers on the way out.
 */
const TAKE_SCRIPT = `
local perSecond = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) * perSecond / 1000)
end
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
local ttl = math.ceil((burst - tokens) * 1000 / perSecond)
if ttl > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
return { allowed, tostring(tokens) }
`;

interface RateLimitCommands {
  rateLimitTake(
    key: string,
    perSecond: number,
    burst: number,
    cost: number,
  ): Promise<[number, string]>;
}

/**
 * Token buckets shared by every replica, keyed `${keyPrefix}rl:${key}`.
 *
 * Fails OPEN: when Redis is unreachable or slow, takes are allowed (and a warning is logged at
 * most once per interval). Accepting telemetry and serving queries matters more than strict
 * limiting during a Redis outage; the limit comes back by itself when Redis does.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { url, keyPrefix = '', logger, timeoutMs = 250, failOpenLogIntervalMs = 30_000 } = options;
  // commandTimeout bounds the wait including ioredis's offline queue, so a take during an outage
  // costs at most timeoutMs; one retry is enough for a take that is cheap to fail open.
  const redis = createRedisClient(url, {
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    connectionName: `rate-limiter${keyPrefix ? `:${keyPrefix}` : ''}`,
  });
  redis.on('error', (err: unknown) => logger?.debug({ err }, 'redis rate limiter error'));
  redis.defineCommand('rateLimitTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const commands = redis as unknown as RateLimitCommands;

  let lastWarnedAt = -Infinity;
  let failedSinceWarning = 0;
  function failOpen(err: unknown, bucket: TokenBucket, cost: number) {
    failedSinceWarning += 1;
    const at = Date.now();
    if (at - lastWarnedAt >= failOpenLogIntervalMs) {
      logger?.warn(
        { err, failedTakes: failedSinceWarning },
        'rate limiter cannot reach Redis: allowing requests unlimited until it is back',
      );
      lastWarnedAt = at;
      failedSinceWarning = 0;
    }
    return decide(bucket, cost, true, Math.max(0, bucket.burst - cost));
  }

  return {
    async take(key, bucket, cost = 1) {
      try {
        const [allowed, tokens] = await commands.rateLimitTake(
          `${keyPrefix}rl:${key}`,
          bucket.perSecond,
          bucket.burst,
          cost,
        );
        return decide(bucket, cost, allowed === 1, Number(tokens));
      } catch (err) {
        return failOpen(err, bucket, cost);
      }
    },
    async ping() {
      await pingRedis(redis);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
