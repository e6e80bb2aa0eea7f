import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';

export interface LastUsedRecorderOptions {
  /** Writes one batch (key id → epoch ms). */
  record: (lastUsed: ReadonlyMap<string, number>) => Promise<void>;
  /** A key's use is written at most once per interval (per process). */
  intervalMs?: number;
  /** How long uses gather into one batch before it is written. */
  flushMs?: number;
  /** Bound on the keys remembered as recently written. */
  maxEntries?: number;
  logger?: Logger;
}

/**
 * Write-behind of API keys' last-used times, off the request's critical path: a request only
 * notes the time in memory; a timer writes the gathered batch in one statement. Each key is
 * written at most once per interval, so a busy integration costs about one UPDATE a minute, not
 * one per request. A failed write is logged and dropped: last-used is a hint, not an audit log.
 */
export function createLastUsedRecorder(options: LastUsedRecorderOptions) {
  const { record, intervalMs = 60_000, flushMs = 1_000, maxEntries = 10_000, logger } = options;
  const recentlyWritten = new LRUCache<string, true>({ max: maxEntries, ttl: intervalMs });
  let pending = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return writing;
    const batch = pending;
    pending = new Map();
    // Chained, so batches reach the database in order and close() can wait for all of them.
    writing = writing
      .then(() => record(batch))
      .catch((error: unknown) =>
        logger?.warn({ err: error, keys: batch.size }, 'could not record API key last-used times'),
      );
    return writing;
  }

  return {
    /** Notes a use of the key; cheap, synchronous, never throws. */
    touch(id: string, at: number) {
      if (recentlyWritten.has(id)) return;
      recentlyWritten.set(id, true);
      pending.set(id, at);
      if (!timer) {
        timer = setTimeout(() => void flush(), flushMs);
        // Pending last-used times must not keep a stopping process alive; close() flushes them.
        timer.unref();
      }
    },
    flush,
    close: flush,
  };
}
