import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { DeviceMetadataVersions } from '../../ports/device-metadata-versions.js';
import { createRedisClient, describeRedisError } from '../connections/redis-connection.js';

/** How often a bump Redis refused is tried again, until it is taken. */
const RETRY_MS = 500;

/**
 * A missing counter (never bumped, or Redis restarted empty: it keeps nothing on disk) starts at
 * the current time in microseconds, so it never goes back to a value an earlier counter had and
 * a replica may still hold answers under. KEYS[1] is the counter, ARGV[1] that start.
 */
const START_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
`;
const BUMP_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
`;
const startValue = () => String(Date.now() * 1000);

/**
 * Production: one Redis key per organization (`device-metadata-version:<id>`), INCR'd by the
 * api replica that changed a device, read with GET by every replica before it serves cached
 * metadata. Reads never wait on a Redis that is away (no offline queue): the caller then reads
 * the database. A bump Redis did not take is retried in the background until it is; until then
 * the other replicas' entries are bounded by the cache's time-to-live.
 */
export function createRedisMetadataVersions(options: {
  url: string;
  logger?: Logger;
}): DeviceMetadataVersions {
  const redis = createRedisClient(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A read that hangs costs a request this much before it goes to the database.
    commandTimeout: 250,
    connectionName: 'device-metadata-versions',
  }) as Redis & {
    versionStart(key: string, start: string): Promise<string>;
    versionBump(key: string, start: string): Promise<number>;
  };
  redis.defineCommand('versionStart', { numberOfKeys: 1, lua: START_SCRIPT });
  redis.defineCommand('versionBump', { numberOfKeys: 1, lua: BUMP_SCRIPT });
  const keyOf = (organizationId: string) =>
    `device-metadata-version:${encodeURIComponent(organizationId)}`;
  const pending = new Set<string>();
  let retry: NodeJS.Timeout | undefined;

  function retryLater() {
    retry ??= setTimeout(() => {
      retry = undefined;
      for (const organizationId of [...pending]) {
        redis.versionBump(keyOf(organizationId), startValue()).then(
          () => pending.delete(organizationId),
          () => retryLater(),
        );
      }
    }, RETRY_MS);
    retry.unref();
  }

  return {
    async current(organizationId) {
      if (pending.has(organizationId)) return undefined;
      try {
        const key = keyOf(organizationId);
        return (await redis.get(key)) ?? (await redis.versionStart(key, startValue()));
      } catch {
        return undefined;
      }
    },
    async bump(organizationId) {
      try {
        await redis.versionBump(keyOf(organizationId), startValue());
      } catch (error) {
        options.logger?.warn(
          { err: describeRedisError(redis, error), organizationId },
          'device metadata version not moved: cached pages on other replicas expire on their own',
        );
        pending.add(organizationId);
        retryLater();
      }
    },
    async close() {
      clearTimeout(retry);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
