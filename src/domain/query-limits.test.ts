import { describe, expect, it } from 'vitest';
import { bucketCount, CHART_WINDOWS, parseEvery, windowForMaxPoints } from './query-limits.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('windowForMaxPoints', () => {
  it('picks the smallest window of the ladder that yields at most maxPoints buckets', () => {
    expect(windowForMaxPoints(0, HOUR, 60)).toEqual({ every: '1m', ms: 60_000 });
    expect(windowForMaxPoints(0, HOUR, 59)).toEqual({ every: '2m', ms: 120_000 });
    expect(windowForMaxPoints(0, 365 * DAY, 500)).toEqual({ every: '1d', ms: DAY });
    expect(windowForMaxPoints(0, 1_000, 1)).toEqual({ every: '1s', ms: 1_000 });
  });

  it('counts the extra bucket of an unaligned range', () => {
    // [30s, 90s) touches two minutes: 1m would make 2 buckets, more than 1.
    expect(windowForMaxPoints(30_000, 90_000, 1)).toEqual({ every: '2m', ms: 120_000 });
  });

  it('never chooses a window whose buckets exceed maxPoints, nor a smaller one that fits', () => {
    const ranges = [
      [0, 7 * DAY],
      [12_345, 12_345 + 90 * DAY],
      [Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)],
    ];
    for (const [from, to] of ranges) {
      for (const maxPoints of [1, 10, 100, 500, 1_000]) {
        const chosen = windowForMaxPoints(from!, to!, maxPoints);
        if ('problem' in chosen) continue;
        expect(bucketCount(from!, to!, chosen.ms)).toBeLessThanOrEqual(maxPoints);
        const index = CHART_WINDOWS.indexOf(chosen.every as (typeof CHART_WINDOWS)[number]);
        if (index > 0) {
          const smaller = parseEvery(CHART_WINDOWS[index - 1]!) as { ms: number };
          expect(bucketCount(from!, to!, smaller.ms)).toBeGreaterThan(maxPoints);
        }
      }
    }
  });

  it('says so when even 30-day buckets are too many', () => {
    expect(windowForMaxPoints(0, 3_650 * DAY, 10)).toEqual({
      problem: expect.stringContaining('30d'),
    });
  });
});
