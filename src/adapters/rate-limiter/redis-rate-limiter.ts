import { batchPerTurn } from '../../batch-per-turn.js';
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
 * Takes from several buckets in one atomic step, in order (the same key twice sees the first
 * take's result): for each key, refill by elapsed time, take `cost` if there is enough, store the
 * state and let the key expire when the bucket would be full again (an absent key is a full
 * bucket). ARGV holds (perSecond, burst, cost) per key. The clock is Redis's TIME, so every
 * replica agrees on it whatever their own clocks say. Returns {allowed, tokens-as-string} per
 * key, flattened: Lua numbers would be truncated to integers on the way out.
 */
const TAKE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local results = {}
for i, key in ipairs(KEYS) do
  local perSecond = tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local state = redis.call('HMGET', key, 'tokens', 'at')
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
    redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
    redis.call('PEXPIRE', key, ttl)
  else
    redis.call('DEL', key)
  end
  results[2 * i - 1] = allowed
  results[2 * i] = tostring(tokens)
end
return results
`;

/** Takes sent together at most; a larger burst takes several round trips. */
const MAX_TAKES_PER_CALL = 200;

interface RateLimitCommands {
  rateLimitTake(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<string[]>;
}

interface Take {
  key: string;
  bucket: TokenBucket;
  cost: number;
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
  // The number of keys varies with the batch: it comes first in each call.
  redis.defineCommand('rateLimitTake', { lua: TAKE_SCRIPT });
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

  /**
   * Takes wait for the end of this turn of the event loop and go to Redis together, one script
   * call for them all (batch-per-turn.ts): ingest answers each request after its take, and a
   * round trip per request (a loopback write and read each) was ~12% of the production ingest
   * process's CPU under one-point requests (`bench/ingest-single-point.ts --target production
   * --profile`). Each take is as atomic as alone. ioredis's auto-pipelining would still send one
   * script call per take.
   */
  const takes = batchPerTurn<Take, [allowed: number, tokens: number]>(async (batch) => {
    const keys = batch.map(({ key }) => `${keyPrefix}rl:${key}`);
    const args = batch.flatMap(({ bucket, cost }) => [bucket.perSecond, bucket.burst, cost]);
    const results = await commands.rateLimitTake(keys.length, ...keys, ...args);
    return batch.map((_, i) => [Number(results[2 * i]), Number(results[2 * i + 1])]);
  }, MAX_TAKES_PER_CALL);

  return {
    async take(key, bucket, cost = 1) {
      try {
        const [allowed, tokens] = await takes.load({ key, bucket, cost });
        return decide(bucket, cost, allowed === 1, tokens);
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
