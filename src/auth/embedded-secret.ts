import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Embedded mode signs JWTs with a secret generated once and kept under the data folder, so a
 * restart keeps tokens valid and no secret ever needs to be typed. Readable by the owner only.
 */
export async function loadOrCreateJwtSecret(dataDir: string): Promise<string> {
  const file = secretFile(dataDir);
  const existing = await readJwtSecret(dataDir);
  if (existing !== undefined) return existing;
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error) => {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
  return (await readFile(file, 'utf8')).trim();
}

const secretFile = (dataDir: string) => path.join(dataDir, 'jwt-secret');

/** The secret a server generated in `dataDir`, or undefined if it has none yet. */
export async function readJwtSecret(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(secretFile(dataDir), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
