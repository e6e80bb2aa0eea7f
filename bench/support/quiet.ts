import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until this process (every thread of it: an embedded DuckDB's too) uses less than `share`
 * of one core over a second, twice in a row, or `maxMs` passed; returns the ms waited. A store
 * just filled is still compacting, checkpointing and collecting garbage for a while, and
 * questions timed meanwhile measure that work, not the answers.
 */
export async function waitUntilQuiet(share = 0.1, maxMs = 300_000): Promise<number> {
  const started = Date.now();
  let quietSeconds = 0;
  while (quietSeconds < 2 && Date.now() - started < maxMs) {
    const before = process.cpuUsage();
    await sleep(1_000);
    const used = process.cpuUsage(before);
    const cpuMs = (used.user + used.system) / 1000;
    quietSeconds = cpuMs < share * 1_000 ? quietSeconds + 1 : 0;
  }
  return Date.now() - started;
}
