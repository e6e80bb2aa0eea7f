import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newSecretsKey, parseSecretsKey } from './sealed-secrets.js';

/**
 * Embedded mode's secrets, generated once and kept under the data folder, so a restart keeps
 * tokens valid and sealed channel secrets readable, and no secret ever needs to be typed.
 * Readable by the owner only.
 */
async function loadOrCreate(dataDir: string, name: string, create: () => string) {
  const existing = await readSecret(dataDir, name);
  if (existing !== undefined) return existing;
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, name);
  await writeFile(file, `${create()}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error) => {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  return (await readFile(file, 'utf8')).trim();
}

async function readSecret(dataDir: string, name: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(dataDir, name), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const JWT_SECRET_FILE = 'jwt-secret';
const CHANNEL_SECRETS_KEY_FILE = 'notification-secrets-key';

/** The secret embedded mode signs JWTs with. */
export const loadOrCreateJwtSecret = (dataDir: string) =>
  loadOrCreate(dataDir, JWT_SECRET_FILE, () => randomBytes(48).toString('base64url'));

/** The secret a server generated in `dataDir`, or undefined if it has none yet. */
export const readJwtSecret = (dataDir: string) => readSecret(dataDir, JWT_SECRET_FILE);

/** The key embedded mode seals notification channel secrets with (sealed-secrets.ts). */
export async function loadOrCreateChannelSecretsKey(dataDir: string): Promise<Uint8Array> {
  const key = parseSecretsKey(await loadOrCreate(dataDir, CHANNEL_SECRETS_KEY_FILE, newSecretsKey));
  if ('problem' in key) {
    throw new Error(`${path.join(dataDir, CHANNEL_SECRETS_KEY_FILE)}: ${key.problem}`);
  }
  return key;
}
