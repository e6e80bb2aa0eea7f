import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';
import type { ApiKey, ApiKeyRepository, ApiKeyScope } from '../ports/api-key-repository.js';
import { createLastUsedRecorder } from './api-key-last-used.js';
import { API_KEY_PREFIX, type CredentialVerifier, type VerifyOptions } from './authenticator.js';
import { InvalidCredentialError, type Permission, type Viewer } from './viewer.js';

/**
 * What each scope grants. `keys:manage` and `organization:manage` are deliberately unreachable: a
 * leaked key must never be able to mint more keys, revoke the admins' ones, or shorten the
 * retention (which deletes data).
 */
export const SCOPE_PERMISSIONS: Record<ApiKeyScope, Permission> = {
  READ_DEVICES: 'devices:read',
  READ_TELEMETRY: 'telemetry:read',
  MANAGE_DEVICES: 'devices:manage',
  READ_ALERTS: 'alerts:read',
  MANAGE_ALERTS: 'alerts:manage',
};

// `iotk_` + 32 random bytes in base64url (43 characters, no padding).
const KEY_FORMAT = /^iotk_[A-Za-z0-9_-]{43}$/;
// The prefix plus 6 characters (36 bits) identifies a key to people; the 220 bits left are
// still far beyond brute force.
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

/**
 * SHA-256 (hex) of an API key. A fast hash is the right tool: keys carry 256 random bits, so
 * guessing is hopeless however fast the hash is, while a slow KDF (scrypt, argon2: for
 * low-entropy passwords) would put its CPU cost on every API request.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new key: the key itself (shown once), its hash (stored) and a display prefix (stored). */
export function generateApiKey(): { key: string; keyHash: string; prefix: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, keyHash: hashApiKey(key), prefix: key.slice(0, DISPLAY_PREFIX_LENGTH) };
}

export function apiKeyViewer(key: ApiKey): Viewer {
  return {
    kind: 'apiKey',
    subject: key.id,
    organizationId: key.organizationId,
    permissions: new Set(key.scopes.map((scope) => SCOPE_PERMISSIONS[scope])),
    expiresAt: key.expiresAt?.getTime(),
  };
}

export interface ApiKeyVerifierOptions {
  repository: Pick<ApiKeyRepository, 'findApiKeyByHash' | 'recordLastUsed'>;
  /**
   * How long a lookup (hit or miss) is reused. Short on purpose: a revoked key is refused at
   * most this long after the revocation. Expiry is checked on every request, cache or not.
   */
  ttlMs?: number;
  /** Bound on cached lookups, so a flood of made-up keys cannot grow memory. */
  maxEntries?: number;
  /** Last-used is written at most once per key per this interval. */
  lastUsedIntervalMs?: number;
  lastUsedFlushMs?: number;
  logger?: Logger;
}

export interface ApiKeyVerifier {
  verify: CredentialVerifier;
  /** Writes the pending last-used times; call before closing the repository. */
  close(): Promise<void>;
}

/** lru-cache cannot hold null, and a cached miss is the point: wrap every answer. */
interface CachedLookup {
  key: ApiKey | null;
}

/**
 * API key auth without a database round trip per request: lookups are cached briefly by hash,
 * misses included, and concurrent requests with one key share one lookup (lru-cache's fetch).
 */
export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  const { repository, ttlMs = 5_000, maxEntries = 10_000 } = options;
  const cache = new LRUCache<string, CachedLookup, VerifyOptions>({
    max: maxEntries,
    ttl: ttlMs,
    fetchMethod: async (keyHash, _stale, { context }) => {
      // Only here does a verification cost a database query: the place to refuse a flood.
      await context.beforeLookup?.();
      return { key: await repository.findApiKeyByHash(keyHash) };
    },
  });
  const lastUsed = createLastUsedRecorder({
    record: (batch) => repository.recordLastUsed(batch),
    intervalMs: options.lastUsedIntervalMs,
    flushMs: options.lastUsedFlushMs,
    maxEntries,
    logger: options.logger,
  });

  return {
    async verify(credential, options = {}) {
      if (!KEY_FORMAT.test(credential)) throw new InvalidCredentialError('API key is not valid');
      const key = (await cache.fetch(hashApiKey(credential), { context: options }))?.key;
      if (!key) throw new InvalidCredentialError('API key is not valid');
      const now = Date.now();
      if (key.revokedAt !== null && key.revokedAt.getTime() <= now) {
        throw new InvalidCredentialError('API key revoked');
      }
      if (key.expiresAt !== null && key.expiresAt.getTime() <= now) {
        throw new InvalidCredentialError('API key expired');
      }
      lastUsed.touch(key.id, now);
      return apiKeyViewer(key);
    },
    close: () => lastUsed.close(),
  };
}
