import { describe, expect, it } from 'vitest';
import { planRollups } from './rollups.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);
const mean = { aggregates: ['mean' as const] };

describe('planRollups', () => {
  it('answers whole buckets from the coarsest grain dividing the window on its grid', () => {
    expect(planRollups({ ...mean, from: T0, to: T0 + DAY, every: DAY })).toEqual({
      grain: HOUR,
      whole: { from: T0, to: T0 + DAY },
      cut: [],
    });
    expect(planRollups({ ...mean, from: T0, to: T0 + HOUR, every: 15 * MINUTE })?.grain).toBe(
      5 * MINUTE,
    );
    expect(planRollups({ ...mean, from: T0, to: T0 + HOUR, every: 2 * MINUTE })?.grain).toBe(
      MINUTE,
    );
    // Hours of a half-hour zone start at :30: only the 5-minute grid is on theirs.
    const halfHour = { ...mean, from: T0 + 30 * MINUTE, to: T0 + 6 * HOUR, every: HOUR };
    expect(planRollups({ ...halfHour, origin: 30 * MINUTE })?.grain).toBe(5 * MINUTE);
  });

  it('leaves the buckets the range cuts to the points', () => {
    const from = T0 + 7 * MINUTE + 13;
    const to = T0 + 2 * HOUR + 1;
    expect(planRollups({ ...mean, from, to, every: HOUR })).toEqual({
      grain: HOUR,
      whole: { from: T0 + HOUR, to: T0 + 2 * HOUR },
      cut: [
        { from, to: T0 + HOUR },
        { from: T0 + 2 * HOUR, to },
      ],
    });
  });

  it('reads points for order statistics, windows off every grid, and ranges with no whole bucket', () => {
    const day = { from: T0, to: T0 + DAY, every: HOUR };
    expect(planRollups({ ...day, aggregates: ['mean', 'p95'] })).toBeUndefined();
    expect(planRollups({ ...day, aggregates: ['median'] })).toBeUndefined();
    expect(planRollups({ ...day, aggregates: ['mean'], percentiles: [99.9] })).toBeUndefined();
    expect(planRollups({ ...mean, from: T0, to: T0 + HOUR, every: 30_000 })).toBeUndefined();
    expect(planRollups({ ...mean, ...day, origin: 17 })).toBeUndefined();
    expect(planRollups({ ...mean, from: T0 + 1, to: T0 + HOUR + 5, every: HOUR })).toBeUndefined();
  });
});
