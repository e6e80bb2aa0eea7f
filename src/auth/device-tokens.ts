/**
 * Device credentials: minted by the GraphQL side (registerDevice, rotateDeviceToken), checked by
 * ingest (src/ingest/device-auth.ts). Only the hash is ever stored.
 */
import { createHash, randomBytes } from 'node:crypto';

const TOKEN_PREFIX = 'dev_';
/** A new device credential: 256 random bits, shown to the user once and stored only as a hash. */
export function generateDeviceToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * SHA-256 (hex) of a device token. A fast hash is the right tool here: the tokens carry 256 bits
 * of randomness, so brute force is hopeless however fast the hash is. Slow KDFs (scrypt, argon2)
 * exist for low-entropy passwords and would only put a CPU cost on every ingest request.
 */
export function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
