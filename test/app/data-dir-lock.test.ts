/**
 * The DATA_DIR lock on its own: one holder at a time, a clear refusal naming the holder, and a
 * lock left behind by a process that no longer exists never blocks.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../src/app/data-dir-lock.js';
import { makeDataDir } from '../support/embedded-app.js';

let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
beforeEach(async () => {
  dataDir = await makeDataDir();
});
afterEach(async () => {
  await dataDir.remove();
});

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

const lockFile = () => path.join(dataDir.dir, LOCK_FILE);

describe('lockDataDir', () => {
  it('refuses a second holder, naming the first, until the first releases', async () => {
    const first = await lockDataDir(dataDir.dir);
    expect((await readFile(lockFile(), 'utf8')).trim()).toBe(String(process.pid));

    const refused = await lockDataDir(dataDir.dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toMatch(
      new RegExp(`^DATA_DIR ${dataDir.dir} is in use by process ${process.pid}\\b`),
    );

    await first.release();
    await expect(stat(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
    const second = await lockDataDir(dataDir.dir);
    await second.release();
  });

  it('takes over a lock whose process is gone, and one that holds no pid', async () => {
    for (const leftover of [`${await deadPid()}\n`, '', 'garbage']) {
      await writeFile(lockFile(), leftover);
      const lock = await lockDataDir(dataDir.dir);
      expect((await readFile(lockFile(), 'utf8')).trim()).toBe(String(process.pid));
      await lock.release();
    }
  });

  it('takes over its own pid in a lock it did not take (a recycled pid, as in a restarted container)', async () => {
    await writeFile(lockFile(), `${process.pid}\n`);
    const lock = await lockDataDir(dataDir.dir);
    await lock.release();
  });

  it('refuses a lock held by another live process', async () => {
    await writeFile(lockFile(), `${process.ppid}\n`);
    await expect(lockDataDir(dataDir.dir)).rejects.toThrow(`is in use by process ${process.ppid}`);
  });

  it('lets only one of many simultaneous takers win over a stale lock', async () => {
    await writeFile(lockFile(), `${await deadPid()}\n`);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => lockDataDir(dataDir.dir)),
    );
    const winners = results.filter((result) => result.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(DataDirInUseError);
    }
    await (winners[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });
});
