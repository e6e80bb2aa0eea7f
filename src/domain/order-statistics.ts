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
