import type { Redis } from 'ioredis';
import { sortByMetricName, type LatestValue, type MetricValue } from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import { createRedisClient } from '../connections/redis-connection.js';
import { newestPerMetric } from './latest-rows.js';

export interface RedisLatestCacheOptions {
  /**
   * A client the caller owns, or a URL (redis:// or rediss://, with its CA file:
   * src/adapters/connections/redis-url.ts) for a connection of the cache's own (closed with it).
   */
  redis: Redis | string;
  /** Prepended to every key, so several deployments (or test files) share one Redis. */
  keyPrefix?: string;
  logger?: Logger;
  /**
   * Every hash expires this long after it was created or filled from the store, and is filled
   * again on the next read. It bounds how long a value can stay stale after a cache update was
   * lost (Redis unreachable during a write, so the best-effort DEL could not run either).
   */
  ttlMs?: number;
}

/**
 * A hash holding this field was filled from the store, so it has every metric of its device. A
 * hash without it only holds metrics written since it appeared (after a Redis restart, or for a
 * device written before the cache existed) and is read from the store instead. Metric names start
 * with a letter, so no metric can collide with it.
 */
const COMPLETE = ':complete';

/**
 * One call per batch: KEYS are device hashes; ARGV is ttl, mode ('write' or 'fill'), then per key
 * a count n and n (metric, ts, entry) triples. An entry only moves forward in time, so points that
 * arrive out of order or are redelivered never move a metric back. A write at the same ts wins
 * (the store keeps the last written value); a fill at the same ts does not, because a write may
 * have landed after the store was read.
 */
const MERGE_SCRIPT = `
local ttl = tonumber(ARGV[1])
local fill = ARGV[2] == 'fill'
local i = 3
for k = 1, #KEYS do
  local key = KEYS[k]
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    local metric, ts, entry = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
    i = i + 3
    local current = redis.call('HGET', key, metric)
    local newer = true
    if current then
      local at = cjson.decode(current).ts
      if fill then newer = ts > at else newer = ts >= at end
    end
    if newer then redis.call('HSET', key, metric, entry) end
  end
  if fill then
    redis.call('HSET', key, '${COMPLETE}', '1')
    redis.call('PEXPIRE', key, ttl)
  elseif redis.call('PTTL', key) == -1 then
    redis.call('PEXPIRE', key, ttl)
  end
end
return 0
`;

/**
 * One call for a page: KEYS are device hashes; the reply is one JSON text, an array holding per
 * key null (no hash, or one not filled from the store) or an object metric → entry. Entries are
 * the stored JSON as they are (never decoded and re-encoded here: cjson would round numbers to
 * 14 digits); only field names go through cjson.encode, which escapes them as JSON strings.
 * Compared with an HGETALL per device in a pipeline, the api decodes one reply instead of one per
 * device, a fraction of the client CPU per page.
 */
const READ_SCRIPT = `
local out = {}
for k = 1, #KEYS do
  local flat = redis.call('HGETALL', KEYS[k])
  local complete = false
  local parts = {}
  for i = 1, #flat, 2 do
    if flat[i] == '${COMPLETE}' then
      complete = true
    else
      parts[#parts + 1] = cjson.encode(flat[i]) .. ':' .. flat[i + 1]
    end
  end
  if complete then out[k] = '{' .. table.concat(parts, ',') .. '}' else out[k] = 'null' end
end
return '[' .. table.concat(out, ',') .. ']'
`;

interface LatestCacheCommands {
  latestMerge(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  latestRead(numberOfKeys: number, ...keys: string[]): Promise<string>;
}

/** Per device key, per metric: the entry to merge. */
type Updates = Map<string, Map<string, { ts: number; entry: string }>>;

const entryOf = (v: MetricValue, ts: number) => ({ ts, entry: JSON.stringify({ v, ts }) });

function mergeArguments(updates: Updates, ttlMs: number, mode: 'write' | 'fill') {
  const keys = [...updates.keys()];
  const args: (string | number)[] = [ttlMs, mode];
  for (const metrics of updates.values()) {
    args.push(metrics.size);
    for (const [metric, { ts, entry }] of metrics) args.push(metric, ts, entry);
  }
  return [keys.length, ...keys, ...args] as const;
}

type Entries = Record<string, { v: MetricValue; ts: number }>;

/**
 * By metric name, as every store answers: a hash lists its fields in the order they were added
 * (the fill's, then each new metric's first write), or in no order at all once it is large.
 */
function toValues(entries: Entries): LatestValue[] {
  const values: LatestValue[] = [];
  for (const [metric, { v, ts }] of Object.entries(entries)) values.push({ metric, value: v, ts });
  return sortByMetricName(values);
}

/**
 * Serves `latest` from one Redis hash per device (`${keyPrefix}latest:${orgId}:${deviceId}`,
 * field = metric, value = JSON `{ v, ts }`), kept current by every `write`, so a page of devices
 * costs one Redis round trip instead of an InfluxDB query. The store stays the truth: a cache
 * failure never fails a write or a read, it only sends reads to the store.
 */
export function withRedisLatestCache(
  store: TelemetryStore,
  options: RedisLatestCacheOptions,
): TelemetryStore {
  const { keyPrefix = '', logger, ttlMs = 10 * 60_000 } = options;
  const owned = typeof options.redis === 'string';
  const redis =
    typeof options.redis === 'string'
      ? createRedisClient(options.redis, {
          // Bounds a call's wait, offline queue included: during an outage a write or read costs
          // at most this before it goes on without the cache.
          commandTimeout: 1_000,
          maxRetriesPerRequest: 1,
          connectionName: 'latest-cache',
        })
      : options.redis;
  if (owned)
    redis.on('error', (err: unknown) => logger?.debug({ err }, 'latest cache redis error'));
  redis.defineCommand('latestMerge', { lua: MERGE_SCRIPT });
  redis.defineCommand('latestRead', { lua: READ_SCRIPT });
  const commands = redis as unknown as LatestCacheCommands;

  // Encoded so that an id holding ':' cannot make two organizations' keys meet.
  const keyOf = (orgId: string, deviceId: string) =>
    `${keyPrefix}latest:${encodeURIComponent(orgId)}:${encodeURIComponent(deviceId)}`;

  async function merge(updates: Updates, mode: 'write' | 'fill') {
    if (updates.size > 0) await commands.latestMerge(...mergeArguments(updates, ttlMs, mode));
  }

  async function fill(orgId: string, deviceIds: readonly string[]) {
    const found = await store.latest(orgId, deviceIds);
    const updates: Updates = new Map();
    for (const deviceId of deviceIds) {
      const key = keyOf(orgId, deviceId);
      // A device with no data yet is cached too (an empty, complete hash): pages of silent
      // devices should not reach the store on every read.
      const metrics = new Map<string, { ts: number; entry: string }>();
      for (const { metric, value, ts } of found.get(deviceId) ?? [])
        metrics.set(metric, entryOf(value, ts));
      updates.set(key, metrics);
    }
    await merge(updates, 'fill').catch((err: unknown) =>
      logger?.warn({ err, devices: deviceIds.length }, 'latest cache: could not fill from store'),
    );
    return found;
  }

  return {
    aggregateDevices: (query) => store.aggregateDevices(query),
    aggregateGroups: (query) => store.aggregateGroups(query),
    reportingDevices: (orgId, deviceIds, from, to) =>
      store.reportingDevices(orgId, deviceIds, from, to),
    raw: (query) => store.raw(query),
    // Cached values older than the cutoff stay until replaced: reads filter them out (loaders.ts).
    deleteBefore: (cutoff, orgId) => store.deleteBefore(cutoff, orgId),
    deleteRollupsBefore: (cutoff, orgId) => store.deleteRollupsBefore(cutoff, orgId),
    ping: () => store.ping(),
    async write(points) {
      const result = await store.write(points);
      // Only what the store kept: a refused point must not become a device's latest value.
      const refused = new Set(result.rejected.map(({ point }) => point));
      const stored = refused.size === 0 ? points : points.filter((point) => !refused.has(point));
      // The batch's newest value per metric (the later one at equal ts), encoded once each.
      const updates: Updates = new Map();
      for (const { orgId, deviceId, metric, ts, value } of newestPerMetric(stored)) {
        const key = keyOf(orgId, deviceId);
        let metrics = updates.get(key);
        if (!metrics) updates.set(key, (metrics = new Map()));
        metrics.set(metric, entryOf(value, ts));
      }
      try {
        await merge(updates, 'write');
      } catch (err) {
        // The points are durable; only the cache may now be behind. Dropping those hashes sends
        // their reads to the store (if Redis is down this fails too, and ttlMs bounds the damage).
        logger?.warn({ err, devices: updates.size }, 'latest cache: update failed, dropping keys');
        void redis.del(...updates.keys()).catch(() => undefined);
      }
      return result;
    },
    async latest(orgId, deviceIds) {
      if (deviceIds.length === 0) return new Map();
      let hashes: (Entries | null)[];
      try {
        const keys = deviceIds.map((deviceId) => keyOf(orgId, deviceId));
        hashes = JSON.parse(await commands.latestRead(keys.length, ...keys)) as (Entries | null)[];
      } catch (err) {
        // Unreachable, or an entry that is not JSON (never written by this code).
        logger?.warn({ err }, 'latest cache unreadable: reading latest values from the store');
        return store.latest(orgId, deviceIds);
      }
      const result = new Map<string, readonly LatestValue[]>();
      const missing: string[] = [];
      deviceIds.forEach((deviceId, index) => {
        const hash = hashes[index];
        if (!hash) missing.push(deviceId);
        else {
          const values = toValues(hash);
          if (values.length > 0) result.set(deviceId, values);
        }
      });
      if (missing.length > 0) {
        for (const [deviceId, values] of await fill(orgId, missing)) result.set(deviceId, values);
      }
      return result;
    },
    async close() {
      await store.close();
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
