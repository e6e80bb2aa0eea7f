import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { startDeliveryHistoryPruning } from './delivery-history.js';

const HOUR = 3_600_000;
const KEEP = 30 * 24 * HOUR;

describe('delivery history pruning', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('deletes what finished before the history at start, then every hour, and survives a failure', async () => {
    const cutoffs: number[] = [];
    let fail = false;
    const stop = startDeliveryHistoryPruning({
      notifications: {
        deleteFinishedBefore: async (cutoff) => {
          cutoffs.push(cutoff);
          if (fail) throw new Error('database away');
          return 2;
        },
      },
      keepMs: KEEP,
      logger: createLogger('silent', 'test'),
    });
    const start = Date.now();
    expect(cutoffs).toEqual([start - KEEP]);

    fail = true;
    await vi.advanceTimersByTimeAsync(HOUR);
    fail = false;
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(cutoffs).toEqual([start - KEEP, start + HOUR - KEEP, start + 2 * HOUR - KEEP]);

    await stop();
    await vi.advanceTimersByTimeAsync(3 * HOUR);
    expect(cutoffs).toHaveLength(3);
  });
});
