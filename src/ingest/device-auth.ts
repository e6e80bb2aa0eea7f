import { LRUCache } from 'lru-cache';
import { hashDeviceToken } from '../auth/device-tokens.js';
import { batchPerTurn } from '../batch-per-turn.js';
import type { DeviceIdentity, DeviceRepository } from '../ports/device-repository.js';

/** Longer than any token we issue; anything longer is refused without a lookup. */
const MAX_TOKEN_LENGTH = 256;

export interface DeviceAuthenticatorOptions {
  devices: Pick<DeviceRepository, 'findIdentitiesByTokenHashes'>;
  /**
   * How long a lookup (hit or miss) is reused. Short on purpose: a rotated-out token or a
   * disabled device is refused at most this long after the change.
   */
  ttlMs?: number;
  /** Bound on cached tokens, so a flood of made-up tokens cannot grow memory. */
  maxEntries?: number;
}

export interface DeviceAuthenticator {
  /**
   * The device behind `Authorization: Bearer <token>`; null when missing, unknown or revoked.
   * `beforeLookup` runs only when the lookup reaches the database, and may throw to refuse it.
   */
  authenticate(
    authorizationHeader: string | undefined,
    options?: { beforeLookup?: () => Promise<void> },
  ): Promise<DeviceIdentity | null>;
  /** Drops a token's cached lookup: its credential or device was found changed. */
  forget(tokenHash: string): void;
  /** The device a token belongs to, as `authenticate` (MQTT carries the token as a password). */
  authenticateToken(
    token: string,
    options?: { beforeLookup?: () => Promise<void> },
  ): Promise<DeviceIdentity | null>;
}

/** lru-cache cannot hold null, and a cached miss is the point: wrap every answer. */
interface CachedLookup {
  identity: DeviceIdentity | null;
}

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return null;
  return header.slice(space + 1).trim();
}

/** Tokens looked up together at most; a larger burst takes several queries. */
const MAX_LOOKUP_BATCH = 500;

/**
 * Device auth for every ingest request and MQTT connection without a database round trip per
 * request: lookups are cached briefly by token hash, misses included, so a device sending every
 * second costs one query per TTL and a token-stuffing client cannot hammer the database with the
 * same token. Concurrent requests with the same token share one lookup (lru-cache's fetch
 * coalesces them), and the lookups of different tokens that start in the same turn of the event
 * loop share one query (batch-per-turn.ts): a fleet that connected together expires together, and
 * 1,000 devices' lookups one by one made PGlite and Prisma about half the embedded app's CPU and
 * p99 333 ms (`bench/ingest-single-point.ts --profile`; 51 ms batched).
 */
export function createDeviceAuthenticator(
  options: DeviceAuthenticatorOptions,
): DeviceAuthenticator {
  const { devices, ttlMs = 5_000, maxEntries = 10_000 } = options;
  // No cache of its own: the LRU below is the cache, with its TTL.
  const lookups = batchPerTurn<string, DeviceIdentity | null>(async (tokenHashes) => {
    const found = await devices.findIdentitiesByTokenHashes(tokenHashes);
    return tokenHashes.map((tokenHash) => found.get(tokenHash) ?? null);
  }, MAX_LOOKUP_BATCH);
  const cache = new LRUCache<string, CachedLookup, { beforeLookup?: () => Promise<void> }>({
    max: maxEntries,
    ttl: ttlMs,
    fetchMethod: async (tokenHash, _stale, { context }) => {
      await context.beforeLookup?.();
      return { identity: await lookups.load(tokenHash) };
    },
  });

  async function authenticateToken(
    token: string,
    options: { beforeLookup?: () => Promise<void> } = {},
  ) {
    if (!token || token.length > MAX_TOKEN_LENGTH) return null;
    const cached = await cache.fetch(hashDeviceToken(token), { context: options });
    return cached?.identity ?? null;
  }

  return {
    authenticateToken,
    forget: (tokenHash) => cache.delete(tokenHash),
    async authenticate(authorizationHeader, options = {}) {
      const token = bearerToken(authorizationHeader);
      return token ? authenticateToken(token, options) : null;
    },
  };
}
