import { describe, expect, it } from 'vitest';
import { isTimeZone, localBuckets } from './local-buckets.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const utc = (...parts: [number, number, number, number?, number?]) =>
  Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3] ?? 0, parts[4] ?? 0);

/** Each bucket as [start, length in hours], the last one cut at `to`. */
function buckets(from: number, to: number, every: number, zone: string) {
  const answer = localBuckets({ from, to }, every, zone, 10_000)!;
  return answer.starts.map((start, i) => [
    new Date(start).toISOString(),
    ((answer.starts[i + 1] ?? to) - Math.max(start, from)) / HOUR,
  ]);
}

/** The runs cover [from, to) exactly, in order, and hold the starts they are asked for. */
function expectRunsCover(from: number, to: number, every: number, zone: string) {
  const { runs, starts } = localBuckets({ from, to }, every, zone, 10_000)!;
  expect(runs[0]!.from).toBe(from);
  expect(runs.at(-1)!.to).toBe(to);
  runs.forEach((run, i) => i > 0 && expect(run.from).toBe(runs[i - 1]!.to));
  const fromRuns = runs.flatMap((run) => {
    const own: number[] = [];
    const first = run.from - ((((run.from - run.origin) % run.every) + run.every) % run.every);
    for (let start = first; start < run.to; start += run.every) own.push(start);
    return own;
  });
  expect(fromRuns).toEqual(starts);
}

describe('localBuckets', () => {
  it('cuts Europe/Berlin days at local midnight: 23 hours in March, 25 in October', () => {
    expect(buckets(utc(2026, 3, 28), utc(2026, 3, 30), DAY, 'Europe/Berlin')).toEqual([
      ['2026-03-27T23:00:00.000Z', 23],
      ['2026-03-28T23:00:00.000Z', 23],
      ['2026-03-29T22:00:00.000Z', 2],
    ]);
    expect(buckets(utc(2026, 10, 24, 22), utc(2026, 10, 26, 23), DAY, 'Europe/Berlin')).toEqual([
      ['2026-10-24T22:00:00.000Z', 25],
      ['2026-10-25T23:00:00.000Z', 24],
    ]);
    expectRunsCover(utc(2026, 1, 1), utc(2027, 1, 1), DAY, 'Europe/Berlin');
    const year = localBuckets(
      { from: utc(2026, 1, 1), to: utc(2027, 1, 1) },
      DAY,
      'Europe/Berlin',
      400,
    )!;
    // Winter, the 23-hour day, summer, the 25-hour day, winter: five store questions.
    expect(year.runs.map((run) => run.every / HOUR)).toEqual([24, 23, 24, 25, 24]);
    expect(year.starts).toHaveLength(366);
  });

  it('aligns hours to a half-hour zone', () => {
    expect(buckets(utc(2026, 1, 1), utc(2026, 1, 1, 2), HOUR, 'Asia/Kolkata')).toEqual([
      ['2025-12-31T23:30:00.000Z', 0.5],
      ['2026-01-01T00:30:00.000Z', 1],
      ['2026-01-01T01:30:00.000Z', 0.5],
    ]);
    expectRunsCover(utc(2026, 1, 1), utc(2026, 1, 3), HOUR, 'Asia/Kolkata');
  });

  it('ends a sub-day bucket at an offset change and aligns the rest to the new offset', () => {
    // Berlin at 01:00 UTC on 29 March: 02:00 CET becomes 03:00 CEST.
    expect(buckets(utc(2026, 3, 28, 23), utc(2026, 3, 29, 4), 2 * HOUR, 'Europe/Berlin')).toEqual([
      ['2026-03-28T23:00:00.000Z', 2],
      ['2026-03-29T01:00:00.000Z', 1],
      ['2026-03-29T02:00:00.000Z', 2],
    ]);
    expectRunsCover(utc(2026, 3, 28), utc(2026, 3, 30), 2 * HOUR, 'Europe/Berlin');
    // Lord Howe moves by half an hour.
    expectRunsCover(utc(2026, 10, 1), utc(2026, 10, 8), HOUR, 'Australia/Lord_Howe');
  });

  it('starts a day in a DST gap at its first valid instant', () => {
    // America/Santiago skips 00:00-01:00 on 6 September 2026: the day starts at 01:00 local.
    const [, start] = buckets(utc(2026, 9, 5, 12), utc(2026, 9, 7, 12), DAY, 'America/Santiago');
    expect(start).toEqual(['2026-09-06T04:00:00.000Z', 23]);
  });

  it('in UTC, is one run of epoch-aligned buckets, as without a zone', () => {
    const { runs, starts } = localBuckets(
      { from: utc(2026, 1, 1, 5), to: utc(2026, 1, 9) },
      DAY,
      'UTC',
      100,
    )!;
    expect(runs).toEqual([
      { from: utc(2026, 1, 1, 5), to: utc(2026, 1, 9), every: DAY, origin: utc(2026, 1, 1) },
    ]);
    expect(starts).toHaveLength(8);
    // Weeks count from 1970-01-01 local time (a Thursday), as UTC weeks count from the epoch.
    const week = localBuckets({ from: utc(2026, 1, 1), to: utc(2026, 1, 2) }, 7 * DAY, 'UTC', 10)!;
    expect(week.starts[0]! % (7 * DAY)).toBe(0);
  });

  it('gives up past maxBuckets, and knows an IANA name from anything else', () => {
    expect(localBuckets({ from: 0, to: 1_000 * DAY }, DAY, 'Europe/Berlin', 999)).toBeUndefined();
    expect(localBuckets({ from: 0, to: 1_000 * HOUR }, HOUR, 'Asia/Kolkata', 999)).toBeUndefined();
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('asia/kolkata')).toBe(true);
    expect(isTimeZone('Nowhere/Town')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
