import { open } from 'node:fs/promises';
import type { RejectedPoint } from '../../ports/telemetry-store.js';

/**
 * The embedded bus's dead-letter topic: one NDJSON line per point set aside, with the reason and
 * the time, appended and fsynced before the batch leaves the queue (and the write-ahead log), so
 * a point is never gone without a trace. `jq` reads it; a line's `point` can be posted back to
 * ingest as it is once the cause is fixed.
 */
export function openFileDeadLetters(path: string) {
  let total = 0;
  return {
    /** How many points were set aside since this process started. */
    get total() {
      return total;
    },
    async append(rejected: readonly RejectedPoint[]) {
      if (rejected.length === 0) return;
      const at = new Date().toISOString();
      const lines = rejected
        .map(({ point, reason }) => JSON.stringify({ deadLetteredAt: at, reason, point }))
        .join('\n');
      const handle = await open(path, 'a');
      try {
        await handle.appendFile(`${lines}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      total += rejected.length;
    },
  };
}
