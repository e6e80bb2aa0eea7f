/**
 * Buckets aligned to local time. The stores cut time into equal buckets from an origin (`origin`
 * and `every` of AggregateQuery); local days are not equal (a DST day is 23 or 25 hours) and a
 * zone's offset changes during the year, so a range in a time zone is cut here into runs of
 * equal buckets, each one store question. Luxon does the calendar arithmetic (local midnights,
 * offsets, DST gaps): zone rules are not something to write by hand.
 */
import { DateTime, IANAZone } from 'luxon';

const DAY = 86_400_000;

/** Equal buckets of `every` ms starting at origin + k·every, within [from, to). */
export interface BucketRun {
  from: number;
  to: number;
  every: number;
  origin: number;
}

export interface LocalBuckets {
  /** In time order, adjacent: together they cover [from, to) exactly. */
  runs: BucketRun[];
  /**
   * Every bucket's start, as the stores report it: the first may precede `from` (where its local
   * day or hour begins), as a UTC bucket's does.
   */
  starts: number[];
}

/**
 * Whether `name` is an IANA zone (in any letter case, as IANA names are matched). The name is
 * kept as given: ICU's canonical names are the old ones (Asia/Calcutta for Asia/Kolkata).
 */
export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/**
 * The buckets of `every` ms over [from, to) in `timeZone`, or undefined when there are more than
 * `maxBuckets`. A whole number of days: buckets start at local midnight (the first valid instant
 * of the day where midnight falls in a DST gap), every n days counted from 1970-01-01 local time,
 * as UTC buckets count from the epoch; a day is as long as the zone makes it. Anything shorter,
 * or not a whole number of days: buckets start where local wall time is a multiple of `every`,
 * so hours follow a half-hour zone's offset; at an offset change the bucket it cuts ends early.
 */
export function localBuckets(
  range: { from: number; to: number },
  every: number,
  timeZone: string,
  maxBuckets: number,
): LocalBuckets | undefined {
  const starts =
    every % DAY === 0
      ? localDayStarts(range, every / DAY, timeZone, maxBuckets)
      : wallClockStarts(range, every, timeZone, maxBuckets);
  if (!starts) return undefined;
  return { runs: runsOf(starts, range), starts };
}

/** Local midnights every `days` days from the one at or before `from`, up to `to`. */
function localDayStarts(
  range: { from: number; to: number },
  days: number,
  timeZone: string,
  maxBuckets: number,
): number[] | undefined {
  const local = DateTime.fromMillis(range.from, { zone: timeZone });
  // The local calendar day as a day number, aligned down to a multiple of `days`.
  const dayNumber = Math.round(DateTime.utc(local.year, local.month, local.day).toMillis() / DAY);
  let day = dayNumber - (((dayNumber % days) + days) % days);
  const starts: number[] = [];
  for (;;) {
    const start = localMidnight(day, timeZone);
    if (start >= range.to) break;
    starts.push(start);
    if (starts.length > maxBuckets) return undefined;
    day += days;
  }
  // A bucket starting before `from` and ending at or before it holds nothing of the range.
  while (starts.length > 1 && starts[1]! <= range.from) starts.shift();
  return starts;
}

function localMidnight(dayNumber: number, timeZone: string): number {
  const date = DateTime.fromMillis(dayNumber * DAY, { zone: 'utc' });
  return DateTime.fromObject(
    { year: date.year, month: date.month, day: date.day },
    { zone: timeZone },
  )
    .startOf('day')
    .toMillis();
}

/** Offset of `timeZone` at `ts`, in ms (local = UTC + offset). */
const offsetAt = (ts: number, timeZone: string) =>
  DateTime.fromMillis(ts, { zone: timeZone }).offset * 60_000;

/**
 * Bucket starts where local wall time is a multiple of `every`: within each stretch of one
 * offset, every instant t with (t + offset) % every = 0; where the offset changes inside a
 * bucket, the bucket ends there and the rest of it starts a bucket of its own.
 */
function wallClockStarts(
  range: { from: number; to: number },
  every: number,
  timeZone: string,
  maxBuckets: number,
): number[] | undefined {
  const starts: number[] = [];
  let segmentStart = range.from;
  while (segmentStart < range.to) {
    const offset = offsetAt(segmentStart, timeZone);
    const segmentEnd = nextOffsetChange(segmentStart, range.to, timeZone);
    let start = segmentStart - ((((segmentStart + offset) % every) + every) % every);
    // The range's first bucket starts where it is aligned; after an offset change, at the change.
    if (start < segmentStart && segmentStart !== range.from) {
      starts.push(segmentStart);
      start += every;
    }
    for (; start < segmentEnd; start += every) {
      starts.push(start);
      if (starts.length > maxBuckets) return undefined;
    }
    segmentStart = segmentEnd;
  }
  return starts;
}

/**
 * The first instant after `from` (and before `limit`) where the zone's offset differs from the
 * one at `from`, or `limit`. Zones change offset at most a few times a year: step a day at a time,
 * then bisect the day to the millisecond.
 */
function nextOffsetChange(from: number, limit: number, timeZone: string): number {
  const offset = offsetAt(from, timeZone);
  let low = from;
  for (;;) {
    const high = Math.min(low + DAY, limit);
    if (offsetAt(high, timeZone) !== offset) {
      let lo = low;
      let hi = high;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(mid, timeZone) === offset) lo = mid;
        else hi = mid;
      }
      return hi;
    }
    if (high >= limit) return limit;
    low = high;
  }
}

/**
 * Adjacent buckets of one width as runs, from the buckets' starts (the first may precede
 * `from`): each run's range clipped to [from, to). The last bucket ends at `to`; it joins the run
 * before it when it is aligned with it.
 */
function runsOf(starts: readonly number[], range: { from: number; to: number }): BucketRun[] {
  const runs: BucketRun[] = [];
  starts.forEach((start, i) => {
    const next = starts[i + 1];
    const previous = runs.at(-1);
    // The last bucket is cut by `to`: it is as wide as it needs to be, or its run's width.
    const width = (next ?? range.to) - start;
    const joins =
      previous !== undefined &&
      previous.to === Math.max(start, range.from) &&
      (start - previous.origin) % previous.every === 0 &&
      (next === undefined ? width <= previous.every : width === previous.every);
    if (joins) previous.to = Math.min(next ?? range.to, range.to);
    else {
      runs.push({
        from: Math.max(start, range.from),
        to: Math.min(next ?? range.to, range.to),
        every: width,
        origin: start,
      });
    }
  });
  return runs;
}
