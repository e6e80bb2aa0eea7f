import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Kept in DATA_DIR while a process uses it; holds that process's pid. */
export const LOCK_FILE = 'iot-analytics.pid';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by process ${pid}: stop it first, or give this process its ` +
        `own DATA_DIR (if process ${pid} is not this app, delete ${path.join(dataDir, LOCK_FILE)})`,
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  /** Idempotent; removes the lock file only while it still names this process. */
  release(): Promise<void>;
}

/** Lock files this process holds, so its own pid in a file it did not create reads as stale. */
const heldHere = new Set<string>();

/**
 * One process per DATA_DIR: PGlite has no cross-process lock, and two processes on the same files
 * (`npm start` twice, `npm run db:migrate` next to a running server) corrupt them. Call this
 * before PGlite is opened.
 *
 * A pid file rather than proper-lockfile: that library decides staleness by the lock's mtime,
 * refreshed by a timer, so a restart after a SIGKILL is refused until the stale window passes,
 * and PGlite (WebAssembly on the main thread) blocking the event loop past that window during a
 * long migration lets a second process take the lock. A pid file names its holder, which the
 * error shows, and is stale the moment its process is gone. It is created with link(2), which
 * fails atomically if the file exists and never exposes a half-written file.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(await realpath(dataDir), LOCK_FILE);
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await createExclusively(file, process.pid)) {
      heldHere.add(file);
      return { release: () => release(file) };
    }
    const holder = await readPid(file);
    if (holder === undefined) continue; // released (or taken over) meanwhile: try again
    if (isAlive(file, holder)) throw new DataDirInUseError(dataDir, holder);
    await removeStale(file, holder);
  }
  throw new Error(`could not lock DATA_DIR ${dataDir} (${file} keeps changing)`);
}

async function createExclusively(file: string, pid: number): Promise<boolean> {
  const draft = `${file}.${randomUUID()}`;
  await writeFile(draft, `${pid}\n`, { mode: 0o644 });
  try {
    await link(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

async function readPid(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  // Not a pid (edited by hand, a disk fault): no process can hold it.
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

function isAlive(file: string, pid: number): boolean {
  if (pid === 0) return false;
  // Our own pid in a file we did not create: a previous run whose pid was recycled (PID 1 in a
  // restarted container, say).
  if (pid === process.pid) return heldHere.has(file);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a dead process's lock. Two processes that both saw it stale must not both remove it
 * (the second would delete the first one's fresh lock), so the removal itself is guarded by a
 * second lock file; whoever holds it removes the lock only if it still names the dead pid.
 */
async function removeStale(file: string, deadPid: number) {
  const guard = `${file}.takeover`;
  if (!(await createExclusively(guard, process.pid))) {
    const guardHolder = await readPid(guard);
    // A taker that died inside the guard: clear it and let the next attempt retry.
    if (guardHolder !== undefined && !isAlive(guard, guardHolder)) {
      await unlink(guard).catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    return;
  }
  try {
    if ((await readPid(file)) === deadPid) await unlink(file).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

async function release(file: string) {
  if (!heldHere.delete(file)) return;
  if ((await readPid(file)) === process.pid) await unlink(file).catch(() => undefined);
}
