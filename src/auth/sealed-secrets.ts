/**
 * Secrets the server must use again, so cannot hash: a webhook's signing secret, a PagerDuty
 * routing key. They are stored sealed: a JWE in compact form (jose; `dir` with A256GCM, so each
 * value has its own nonce and a tampered one does not open), under a key from the server's
 * settings (NOTIFICATION_SECRETS_KEY; embedded, a key generated in DATA_DIR). A copy of the
 * database alone then gives no one a way to sign as us or page an on-call team.
 *
 * The header names the key by `kid` (a digest of it, not the key), so a key can be rotated: the
 * new one seals, earlier ones still open what they sealed until those values are sealed again
 * (NotificationRepository.resealChannelSecrets). A value that is not a JWE was stored in clear by
 * a version before this one, and is returned as it is.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';

/** The length of a key, in bytes (A256GCM). */
export const SECRETS_KEY_BYTES = 32;

export interface SecretSealer {
  seal(secret: string): Promise<string>;
  /** The secret of a stored value; throws SecretUnreadableError if no key of ours opens it. */
  open(stored: string): Promise<string>;
  /** Whether a stored value is sealed with the current key (else it should be sealed again). */
  sealedWithCurrentKey(stored: string): boolean;
}

export class SecretUnreadableError extends Error {
  override name = 'SecretUnreadableError';
}

const keyIdOf = (key: Uint8Array) =>
  createHash('sha256').update(key).digest('base64url').slice(0, 16);

/** The `kid` of a sealed value, or undefined for a value stored in clear. */
function keyIdOfSealed(stored: string): string | undefined {
  if (stored.split('.').length !== 5) return undefined;
  try {
    const header = decodeProtectedHeader(stored);
    return header.alg === 'dir' && header.enc === 'A256GCM' && typeof header.kid === 'string'
      ? header.kid
      : undefined;
  } catch {
    return undefined;
  }
}

/** A key as settings give it: 32 bytes in base64 or base64url; or the problem with it. */
export function parseSecretsKey(text: string): Uint8Array | { problem: string } {
  const trimmed = text.trim();
  // 32 bytes: 43 characters of base64url, or of base64 with its one '='.
  if (/^[A-Za-z0-9_-]{43}$/.test(trimmed)) return new Uint8Array(Buffer.from(trimmed, 'base64url'));
  if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return new Uint8Array(Buffer.from(trimmed, 'base64'));
  return {
    problem: `must be ${SECRETS_KEY_BYTES} random bytes in base64 (openssl rand -base64 32)`,
  };
}

/** A new random key, as settings give it (base64url). */
export const newSecretsKey = () => randomBytes(SECRETS_KEY_BYTES).toString('base64url');

/** Seals with `current`; opens what `current` or any of `previous` sealed. */
export function createSecretSealer(keys: {
  current: Uint8Array;
  previous?: readonly Uint8Array[];
}): SecretSealer {
  const currentId = keyIdOf(keys.current);
  const byId = new Map([keys.current, ...(keys.previous ?? [])].map((key) => [keyIdOf(key), key]));
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return {
    seal: (secret) =>
      new CompactEncrypt(encoder.encode(secret))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: currentId })
        .encrypt(keys.current),
    async open(stored) {
      const kid = keyIdOfSealed(stored);
      if (kid === undefined) return stored;
      const key = byId.get(kid);
      if (!key) {
        throw new SecretUnreadableError(
          `sealed with key ${kid}, which this process does not have (NOTIFICATION_SECRETS_KEY, NOTIFICATION_SECRETS_PREVIOUS_KEYS)`,
        );
      }
      try {
        return decoder.decode((await compactDecrypt(stored, key)).plaintext);
      } catch {
        throw new SecretUnreadableError(`sealed value with key ${kid} does not open: altered`);
      }
    },
    sealedWithCurrentKey: (stored) => keyIdOfSealed(stored) === currentId,
  };
}

/**
 * A sealer whose key lives as long as this process: what it seals no other process and no
 * restart can open. For tests and tools that keep nothing; the apps pass the configured key.
 */
export const ephemeralSecretSealer = () =>
  createSecretSealer({ current: new Uint8Array(randomBytes(SECRETS_KEY_BYTES)) });

/** The sealer of the configured keys (config/notifications.ts); undefined without a key. */
export const configuredSecretSealer = (settings: {
  secretsKey?: Uint8Array;
  previousSecretsKeys: readonly Uint8Array[];
}) =>
  settings.secretsKey &&
  createSecretSealer({ current: settings.secretsKey, previous: settings.previousSecretsKeys });
