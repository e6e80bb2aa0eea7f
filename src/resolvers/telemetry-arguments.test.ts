import { describe, expect, it } from 'vitest';
import { bucketCount, CHART_WINDOWS, parseEvery } from '../domain/query-limits.js';
import { chooseWindow } from './telemetry-arguments.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const every = (text: string) => (parseEvery(text) as { ms: number }).ms;

/** The refusal's message and field, or undefined when `work` does not throw. */
function refusal(work: () => unknown) {
  try {
    work();
    return undefined;
  } catch (error) {
    const { message, extensions } = error as { message: string; extensions: { field?: string } };
    return { message, field: extensions.field };
  }
}

describe('chooseWindow with maxPoints', () => {
  it('picks the smallest window of the ladder that yields at most maxPoints buckets', () => {
    const pick = (from: number, to: number, maxPoints: number) =>
      chooseWindow({ maxPoints }, { from, to }).every;
    expect(pick(0, HOUR, 60)).toBe('1m');
    expect(pick(0, HOUR, 59)).toBe('2m');
    expect(pick(0, 365 * DAY, 500)).toBe('1d');
    expect(pick(0, 1_000, 1)).toBe('1s');
    // [30s, 90s) touches two minutes: 1m would make 2 buckets, more than 1.
    expect(pick(30_000, 90_000, 1)).toBe('2m');
  });

  it('never chooses a window whose buckets exceed maxPoints, nor a smaller one that fits', () => {
    const ranges = [
      [0, 7 * DAY],
      [12_345, 12_345 + 90 * DAY],
      [Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1)],
    ] as const;
    for (const [from, to] of ranges) {
      for (const maxPoints of [1, 10, 100, 500, 1_000]) {
        let window;
        try {
          window = chooseWindow({ maxPoints }, { from, to });
        } catch {
          continue;
        }
        expect(window.starts.length).toBeLessThanOrEqual(maxPoints);
        expect(bucketCount(from, to, window.ms)).toBe(window.starts.length);
        const index = CHART_WINDOWS.indexOf(window.every as (typeof CHART_WINDOWS)[number]);
        if (index > 0) {
          expect(bucketCount(from, to, every(CHART_WINDOWS[index - 1]!))).toBeGreaterThan(
            maxPoints,
          );
        }
      }
    }
  });

  it('counts local buckets in a time zone', () => {
    // 25 hours of Berlin's October DST day in 1h buckets: 25 of them.
    const range = { from: Date.UTC(2026, 9, 24, 22), to: Date.UTC(2026, 9, 25, 23) };
    const window = chooseWindow({ maxPoints: 2, timeZone: 'Europe/Berlin' }, range);
    expect(window).toMatchObject({ every: '1d', timeZone: 'Europe/Berlin' });
    expect(window.starts).toEqual([range.from]);
    expect(window.runs).toEqual([{ ...range, every: 25 * HOUR, origin: range.from }]);
  });

  it('says so when even 30-day buckets are too many, or both or neither width is given', () => {
    expect(refusal(() => chooseWindow({ maxPoints: 10 }, { from: 0, to: 3_650 * DAY }))).toEqual({
      message: expect.stringContaining('30d'),
      field: 'maxPoints',
    });
    expect(
      refusal(() => chooseWindow({ maxPoints: 10, every: '1h' }, { from: 0, to: DAY })),
    ).toEqual({
      message: 'give either every or maxPoints (not both)',
      field: 'every',
    });
    expect(refusal(() => chooseWindow({}, { from: 0, to: DAY }))?.field).toBe('every');
  });
});

describe('chooseWindow with a time zone', () => {
  it('is UTC by default and for UTC by any of its names, one run of epoch-aligned buckets', () => {
    for (const timeZone of [undefined, null, 'UTC', 'Etc/UTC', 'utc']) {
      const window = chooseWindow({ every: '1d', timeZone }, { from: 5, to: 2 * DAY });
      expect(window.timeZone).toBe('UTC');
      expect(window.runs).toEqual([{ from: 5, to: 2 * DAY, every: DAY, origin: 0 }]);
      expect(window.starts).toEqual([0, DAY]);
    }
  });

  it('refuses a name that is not an IANA zone, and more local buckets than the limit', () => {
    expect(
      refusal(() => chooseWindow({ every: '1d', timeZone: 'Mars/Olympus' }, { from: 0, to: DAY })),
    ).toEqual({
      message: expect.stringContaining('IANA time zone'),
      field: 'timeZone',
    });
    const decades = { from: 0, to: 40 * 365 * DAY };
    expect(
      refusal(() => chooseWindow({ every: '1d', timeZone: 'Europe/Berlin' }, decades))?.field,
    ).toBe('every');
  });
});
