import type { Aggregate, Bucket } from '../../src/domain/telemetry.js';
/**
 * An independent, deliberately naive computation of the documented aggregates, for checking the
 * stores' answers: arrays and sorting, no SQL.
 */
export interface Sample {
  ts: number;
  value: number;
  /** A counter's step to this number from the device's one before (withSteps), if any. */
  step?: number;
}

/** The range a question covers, and where a counter's previous point may be found. */
export interface ReferenceRange {
  from: number;
  to: number;
  /** Default `from`: points before it are not even a previous point. */
  counterFrom?: number;
}

/**
 * The samples in [from, to), each number with its counter step (INCREASE, as the README defines
 * it): per device (samples without one are one device), numbers in time order, the rise from the
 * one before, or the new value itself when it dropped. Points in [counterFrom, from) count only as
 * the one before. Without a range, all samples, none before them.
 */
export function withSteps<T extends { ts: number; value: unknown; device?: string }>(
  samples: readonly T[],
  range?: ReferenceRange,
): (T & { step?: number })[] {
  const from = range?.from ?? -Infinity;
  const to = range?.to ?? Infinity;
  const since = Math.min(range?.counterFrom ?? from, from);
  const previous = new Map<string | undefined, number>();
  const stepped: (T & { step?: number })[] = [];
  for (const sample of [...samples].sort((a, b) => a.ts - b.ts)) {
    if (sample.ts < since || sample.ts >= to) continue;
    let step: number | undefined;
    if (typeof sample.value === 'number') {
      const before = previous.get(sample.device);
      if (before !== undefined)
        step = sample.value >= before ? sample.value - before : sample.value;
      previous.set(sample.device, sample.value);
    }
    if (sample.ts >= from) stepped.push(step === undefined ? sample : { ...sample, step });
  }
  return stepped;
}

/** The seconds of the bucket [start, start + every) within the range (all of it without one). */
function spanSeconds(start: number, every: number, range?: ReferenceRange): number {
  const end = Math.min(start + every, range?.to ?? Infinity);
  return (end - Math.max(start, range?.from ?? -Infinity)) / 1_000;
}

/** Every finite double is an integer multiple of 2^-1074: this integer, exactly. */
function inUnitsOfTheSmallestDouble(value: number): bigint {
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, value);
  const word = bits.getBigUint64(0);
  const negative = word >> 63n === 1n;
  const exponent = Number((word >> 52n) & 0x7ffn);
  const fraction = word & 0xfffffffffffffn;
  const units = exponent === 0 ? fraction : (fraction | (1n << 52n)) << BigInt(exponent - 1);
  return negative ? -units : units;
}

/** 2^k for an integer k that a double can hold exactly (-1074 <= k <= 1023). */
function powerOfTwo(k: number): number {
  let value = 1;
  for (let i = 0; i < Math.abs(k); i++) value = k > 0 ? value * 2 : value / 2;
  return value;
}

/**
 * The double nearest to the exact sum of `values`, ties to even: computed with integers, so no
 * order of addition can matter. What the stores' SUM must equal to the last bit.
 */
export function correctlyRoundedSum(values: readonly number[]): number {
  const total = values.reduce((sum, value) => sum + inUnitsOfTheSmallestDouble(value), 0n);
  const negative = total < 0n;
  let units = negative ? -total : total;
  // Keep 53 significant bits, rounding the rest half to even; subnormals keep what they can.
  const drop = Math.max(units.toString(2).length - 53, 0);
  if (drop > 0) {
    const rest = units & ((1n << BigInt(drop)) - 1n);
    const half = 1n << BigInt(drop - 1);
    units >>= BigInt(drop);
    if (rest > half || (rest === half && (units & 1n) === 1n)) units += 1n;
  }
  const exponent = drop - 1074;
  const magnitude = exponent > 1023 ? Infinity : Number(units) * powerOfTwo(exponent);
  return negative ? -magnitude : magnitude;
}

/** The double after (or before) `value` in order, by stepping its bits: nextUp and nextDown. */
function neighbour(value: number, direction: 1 | -1): number {
  if (value === 0) return direction * Number.MIN_VALUE;
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, value);
  const word = bits.getBigUint64(0);
  const away = value > 0 === (direction === 1);
  bits.setBigUint64(0, away ? word + 1n : word - 1n);
  return bits.getFloat64(0);
}

/** Whether the last bit of a positive double's significand is 0 (ties go to it). */
function evenSignificand(value: number): boolean {
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, value);
  return (bits.getBigUint64(0) & 1n) === 0n;
}

/**
 * The sample standard deviation (n − 1), as the README defines STDDEV: the square root of the
 * exact variance of the numbers, rounded once to the nearest double; null below two numbers.
 * Worked out with rationals: V = (n·Σu² − (Σu)²) / (n(n − 1)) in units of 2^-2148, a first guess
 * from Math.sqrt, then moved one double at a time until V lies between the squares of the
 * midpoints on either side (compared exactly, as integers).
 */
export function referenceStddev(values: readonly number[]): number | null {
  const n = BigInt(values.length);
  if (n < 2n) return null;
  const units = values.map(inUnitsOfTheSmallestDouble);
  const sum = units.reduce((total, u) => total + u, 0n);
  const squares = units.reduce((total, u) => total + u * u, 0n);
  // V = numerator / denominator · 2^-2148, exactly.
  const numerator = n * squares - sum * sum;
  const denominator = n * (n - 1n);
  if (numerator === 0n) return 0;
  // Past half an ulp above the largest double (2^1024 - 2^970), the nearest is Infinity.
  const overflow = 2n ** 2098n - 2n ** 2044n;
  if (numerator >= overflow * overflow * denominator) return Infinity;
  const bitsOf = (x: bigint) => x.toString(2).length;
  const topOf = (x: bigint) => Math.max(0, bitsOf(x) - 60);
  const [shiftN, shiftD] = [topOf(numerator), topOf(denominator)];
  let ratio = Number(numerator >> BigInt(shiftN)) / Number(denominator >> BigInt(shiftD));
  let exponent = shiftN - shiftD - 2148;
  if (exponent % 2 !== 0) {
    ratio *= 2;
    exponent -= 1;
  }
  // sqrt(ratio) · 2^(exponent / 2), scaled in steps that stay within a double's range.
  let guess = Math.sqrt(ratio);
  for (let half = exponent / 2; half !== 0;) {
    const step = Math.max(-600, Math.min(600, half));
    guess *= powerOfTwo(step);
    half -= step;
  }
  // Compares the square of the midpoint of two adjacent doubles with V: the midpoint in units
  // of 2^-1075 is M = u(a) + u(b), and M² · 2^-2150 <=> numerator / denominator · 2^-2148.
  const versusMidpoint = (a: number, b: number) => {
    const m = inUnitsOfTheSmallestDouble(a) + inUnitsOfTheSmallestDouble(b);
    const left = m * m * denominator;
    const right = numerator * 4n;
    return left < right ? -1 : left > right ? 1 : 0;
  };
  let answer = guess;
  for (;;) {
    const up = neighbour(answer, 1);
    const down = neighbour(answer, -1);
    const above = versusMidpoint(answer, up);
    const below = versusMidpoint(down, answer);
    if (above < 0 || (above === 0 && !evenSignificand(answer))) answer = up;
    else if (below > 0 || (below === 0 && !evenSignificand(answer))) answer = down;
    else return answer;
  }
}

/** InfluxQL MEDIAN(): the middle value, or lo + (hi − lo) / 2 of the two middle ones. */
export function referenceMedian(sortedValues: readonly number[]): number {
  const middle = sortedValues.length >> 1;
  if (sortedValues.length % 2 === 1) return sortedValues[middle]!;
  const [lo, hi] = [sortedValues[middle - 1]!, sortedValues[middle]!];
  return lo + (hi - lo) / 2;
}

/**
 * The nearest-rank percentile of p as written in decimal, for the p of the tests (at most three
 * decimals): rank floor(n · p / 100 + 1/2) in integers, n · P + 50000 over 100000 for
 * P = 1000 · p, clamped to 1..n. Null for no numbers.
 */
export function referencePercentile(sortedValues: readonly number[], p: number): number | null {
  const thousandths = Math.round(p * 1000);
  if (Math.abs(thousandths - p * 1000) > 1e-6) throw new Error(`${p} has more than 3 decimals`);
  const n = sortedValues.length;
  if (n === 0) return null;
  const rank = Math.floor((n * thousandths + 50_000) / 100_000);
  return sortedValues[Math.min(Math.max(rank, 1), n) - 1]!;
}

export function nearestRank(sortedValues: readonly number[], percentile: number): number {
  const index = Math.floor((sortedValues.length * percentile) / 100 + 0.5) - 1;
  return sortedValues[Math.min(Math.max(index, 0), sortedValues.length - 1)]!;
}

/** A bucket's aggregates; RATE over `seconds` (the bucket's span in the range). */
export function referenceAggregates(samples: readonly Sample[], seconds = NaN) {
  const byTime = [...samples].sort((a, b) => a.ts - b.ts);
  const values = byTime.map((sample) => sample.value);
  const sorted = [...values].sort((a, b) => a - b);
  // Correctly rounded, as the stores compute it (the README's telemetry queries section).
  const sum = correctlyRoundedSum(values);
  const increase = correctlyRoundedSum(
    byTime.flatMap(({ step }) => (step === undefined || !Number.isFinite(step) ? [] : [step])),
  );
  return {
    mean: sum / values.length,
    min: sorted[0]!,
    max: sorted.at(-1)!,
    sum,
    count: values.length,
    first: values[0]!,
    last: values.at(-1)!,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
    median: referenceMedian(sorted),
    stddev: referenceStddev(values),
    spread: sorted.at(-1)! - sorted[0]!,
    increase,
    rate: increase / seconds,
  };
}

/** The start of the bucket of `every` ms holding `ts`, buckets starting at origin + k·every. */
export function referenceBucketStart(ts: number, every: number, origin = 0): number {
  return origin + Math.floor((ts - origin) / every) * every;
}

/**
 * Groups samples into buckets of `every` ms starting at origin + k·every (the epoch's by
 * default), the samples of one device; within `range` if given (else whole buckets).
 */
export function referenceBuckets(
  samples: readonly Sample[],
  every: number,
  origin = 0,
  range?: ReferenceRange,
) {
  const buckets = new Map<number, Sample[]>();
  for (const sample of withSteps(samples, range)) {
    const start = referenceBucketStart(sample.ts, every, origin);
    buckets.set(start, [...(buckets.get(start) ?? []), sample]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, members]) => ({
      start,
      ...referenceAggregates(members, spanSeconds(start, every, range)),
    }));
}

/** A value of any type at a time, as a device sent it. */
export interface TypedSample {
  ts: number;
  value: number | boolean | string;
  /** Whose: a counter's steps are per device (pooled samples of several devices). */
  device?: string;
  step?: number;
}

type ValueType = 'number' | 'boolean' | 'string';

/**
 * The aggregates of values of any type, by the README's rule: COUNT counts every value, FIRST and
 * LAST are the earliest and latest by time whatever their type, MEAN is over numbers (else the
 * fraction of true over booleans), SUM, MIN, MAX, the percentiles, MEDIAN, STDDEV, SPREAD,
 * INCREASE (of the samples' steps, withSteps) and RATE over numbers, null where the bucket has
 * none; with the types the bucket holds, by name.
 */
export function referenceTypedAggregates(
  samples: readonly TypedSample[],
  percentiles: readonly number[] = [],
  seconds = NaN,
) {
  const byTime = [...samples].sort((a, b) => a.ts - b.ts);
  const numbers = byTime.flatMap(({ value }) => (typeof value === 'number' ? [value] : []));
  const booleans = byTime.flatMap(({ value }) => (typeof value === 'boolean' ? [value] : []));
  const ofNumbers =
    numbers.length > 0
      ? referenceAggregates(
          byTime.filter((sample): sample is Sample => typeof sample.value === 'number'),
          seconds,
        )
      : undefined;
  const types = [
    ...new Set(byTime.map(({ value }) => typeof value as ValueType)),
  ].sort() as ValueType[];
  const trues = booleans.filter(Boolean).length;
  return {
    values: {
      mean: ofNumbers?.mean ?? (booleans.length > 0 ? trues / booleans.length : null),
      min: ofNumbers?.min ?? null,
      max: ofNumbers?.max ?? null,
      sum: ofNumbers?.sum ?? null,
      count: byTime.length,
      first: byTime[0]!.value,
      last: byTime.at(-1)!.value,
      p50: ofNumbers?.p50 ?? null,
      p90: ofNumbers?.p90 ?? null,
      p95: ofNumbers?.p95 ?? null,
      p99: ofNumbers?.p99 ?? null,
      median: ofNumbers?.median ?? null,
      stddev: ofNumbers?.stddev ?? null,
      spread: ofNumbers?.spread ?? null,
      increase: ofNumbers?.increase ?? null,
      rate: ofNumbers?.rate ?? null,
    },
    types,
    percentiles: percentiles.map((percentile) => ({
      percentile,
      value: referencePercentile(
        [...numbers].sort((a, b) => a - b),
        percentile,
      ),
    })),
  };
}

/**
 * referenceTypedAggregates per bucket of `every` ms starting at origin + k·every (the epoch's by
 * default), in time order; within `range` if given (else whole buckets).
 */
export function referenceTypedBuckets(
  samples: readonly TypedSample[],
  every: number,
  origin = 0,
  percentiles: readonly number[] = [],
  range?: ReferenceRange,
) {
  const buckets = new Map<number, TypedSample[]>();
  for (const sample of withSteps(samples, range)) {
    const start = referenceBucketStart(sample.ts, every, origin);
    buckets.set(start, [...(buckets.get(start) ?? []), sample]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, members]) => ({
      start,
      ...referenceTypedAggregates(members, percentiles, spanSeconds(start, every, range)),
    }));
}

/**
 * referenceTypedBuckets of each metric's samples, put together per bucket start as a store
 * answers (`Bucket`s), with the `aggregates` asked, in time order.
 */
export function referenceMetricBuckets(
  samplesByMetric: Iterable<readonly [string, readonly TypedSample[]]>,
  every: number,
  origin: number,
  aggregates: readonly Aggregate[],
  range?: ReferenceRange,
): Bucket[] {
  const byStart = new Map<number, Bucket>();
  for (const [metric, samples] of samplesByMetric) {
    for (const { start, values, types } of referenceTypedBuckets(
      samples,
      every,
      origin,
      [],
      range,
    )) {
      const bucket = byStart.get(start) ?? { start, values: {}, types: {} };
      bucket.values[metric] = Object.fromEntries(aggregates.map((name) => [name, values[name]]));
      bucket.types[metric] = types;
      byStart.set(start, bucket);
    }
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}
