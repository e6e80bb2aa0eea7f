/**
 * MEDIAN and the nearest-rank percentiles, by InfluxQL's definitions, for the stores and
 * `fleet.latest` alike.
 */

/**
 * The median of an even count of numbers as InfluxQL's MEDIAN() takes it from the two middle
 * ones: lo + (hi − lo) / 2. Not (lo + hi) / 2, which rounds differently (0.1 and 0.7: 0.4 here,
 * 0.39999999999999997 there; DuckDB's median() gives the latter, so the DuckDB store does not use
 * it) and overflows for two large values of one sign.
 */
export const medianOfMiddles = (lo: number, hi: number) => lo + (hi - lo) / 2;

/**
 * MEDIAN of `count` numbers from its middle ones (lo at rank ⌊(n + 1) / 2⌋, hi at ⌊n / 2⌋ + 1,
 * the same number when n is odd).
 */
export const medianOf = (count: number, lo: number, hi: number) =>
  count % 2 === 1 ? lo : medianOfMiddles(lo, hi);

/** MEDIAN of numbers sorted ascending, null when there are none. */
export function medianOfSorted(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  return medianOf(n, sorted[(n - 1) >> 1]!, sorted[n >> 1]!);
}

/**
 * p / 100 as a fraction a / b of integers, p read as the decimal it prints as (String(p), what a
 * client wrote: 99.9 is 999/1000, not the double just above it), so that no float rounding can
 * move a rank. A p so small that no count below 2^53 reaches rank 1 is 0 / 1 (then b stays below
 * 2^114, and every product the ranks take within 2^127, DuckDB's HUGEINT).
 */
export function percentileFraction(p: number): { numerator: bigint; denominator: bigint } {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(p));
  if (!match || !(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`);
  const [, whole, fraction = '', exponent = '0'] = match;
  const power = Number(exponent) - fraction.length - 2;
  let numerator = BigInt(whole + fraction);
  let denominator = 1n;
  if (power >= 0) numerator *= 10n ** BigInt(power);
  else denominator = 10n ** BigInt(-power);
  const divisor = gcd(numerator, denominator);
  numerator /= divisor;
  denominator /= divisor;
  if (denominator > numerator << 54n) return { numerator: 0n, denominator: 1n };
  return { numerator, denominator };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * The nearest rank of percentile p among n numbers, InfluxQL PERCENTILE's
 * floor(n · p / 100 + 0.5), worked out exactly ((2·n·a + b) div 2b for p / 100 = a / b) and
 * clamped to 1..n (InfluxQL answers nothing for rank 0; the rank of a low percentile of few
 * numbers is then the smallest). Returns the rank for a count.
 */
export function nearestRankOf(p: number): (count: number) => number {
  const { numerator, denominator } = percentileFraction(p);
  return (count) => {
    const rank = Number((BigInt(count) * 2n * numerator + denominator) / (2n * denominator));
    return Math.min(Math.max(rank, 1), count);
  };
}

/** The nearest-rank percentile of numbers sorted ascending, null when there are none. */
export function percentileOfSorted(
  sorted: ArrayLike<number>,
  rankOf: (count: number) => number,
): number | null {
  return sorted.length === 0 ? null : sorted[rankOf(sorted.length) - 1]!;
}
