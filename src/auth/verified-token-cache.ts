import { LRUCache } from 'lru-cache';
import { API_KEY_PREFIX, type CredentialVerifier } from './authenticator.js';
import type { Viewer } from './viewer.js';

export interface VerifiedTokenCacheOptions {
  /** Most tokens remembered (least recently used dropped first). */
  maxTokens?: number;
  /**
   * How long a verification is trusted, at most (and never past the token's `exp`): bounds how
   * long a token keeps working after its signing key was withdrawn from the provider's key set.
   */
  maxAgeMs?: number;
}

interface Verified {
  viewer: Viewer;
  /** Epoch ms: min(exp, verified at + maxAgeMs). */
  until: number;
}

/**
 * Remembers the Viewer of each user JWT that verified, so a client sending the same token on
 * every request pays jose's signature check (WebCrypto) once a minute instead of every time.
 * Everything the check decides is fixed by the token's bytes except time: the signature, issuer,
 * audience and claims cannot change, `nbf` was already reached, and `exp` ends the entry.
 * Failures are never remembered, and API keys pass straight through (their verifier has its own
 * cache and revocation checks).
 */
export function cacheVerifiedTokens(
  verify: CredentialVerifier,
  options: VerifiedTokenCacheOptions = {},
): CredentialVerifier {
  const { maxTokens = 10_000, maxAgeMs = 60_000 } = options;
  const verified = new LRUCache<string, Verified>({
    max: maxTokens,
    // Tokens are at most a header long, yet a flood of distinct valid ones must not grow memory
    // past this: about 4 KB per token on average.
    maxSize: maxTokens * 4_096,
    sizeCalculation: (_value, token) => Math.max(1, token.length),
  });

  return async (credential, verifyOptions) => {
    if (credential.startsWith(API_KEY_PREFIX)) return verify(credential, verifyOptions);
    const now = Date.now();
    const known = verified.get(credential);
    if (known && now < known.until) return known.viewer;
    const viewer = await verify(credential, verifyOptions);
    const until = Math.min(viewer.expiresAt ?? now, now + maxAgeMs);
    if (viewer.kind === 'user' && until > now) verified.set(credential, { viewer, until });
    return viewer;
  };
}
