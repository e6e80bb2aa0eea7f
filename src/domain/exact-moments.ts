/**
 * STDDEV as every store computes it: the sample standard deviation of a bucket's numbers, from
 * their exact sum and exact sum of squares, with one rounding at the very end (the square root of
 * the exact variance, correctly rounded). No order of reading and no cancellation can change it:
 * sum-of-squares minus square-of-sum in doubles loses every digit when the spread is small beside
 * the mean (a thermometer at 20.001 ± 0.0001), and a running (Welford) mean depends on the order
 * of the points, which DuckDB's threads and InfluxDB's shards do not fix. Here the variance
 * numerator n·Σx² − (Σx)² is an exact integer, so DuckDB (integer sums in SQL, parts per binary
 * exponent as for SUM) and InfluxDB (numbers streamed and accumulated here) give the same bits.
 */
import { ExactSum, roundScaled, unitsOf } from './exact-sum.js';

/** Veltkamp's split constant, 2^27 + 1: x = hi + lo with both halves of at most 26 bits. */
const SPLIT = 134_217_729;
/** Within these magnitudes Dekker's product x·x = hi + lo is exact (no overflow, no subnormal). */
const SMALLEST_SPLIT = 2 ** -400;
const LARGEST_SPLIT = 2 ** 400;

/**
 * The count, exact sum and exact sum of squares of numbers added one at a time (InfluxDB's
 * numbers as they stream in, or `fleet.latest`'s readings), never holding them. A square is
 * kept exactly as two doubles (Dekker's product) added to an exact sum; a number too large or
 * too small for that is squared as an integer.
 */
export class ExactMoments {
  count = 0;
  private readonly sum = new ExactSum();
  private readonly squares = new ExactSum();
  /** Squares outside the split's range, in units of 2^-2148 (the smallest double, squared). */
  private wide = 0n;

  add(x: number): void {
    this.count += 1;
    if (x === 0) return;
    this.sum.add(x);
    const magnitude = Math.abs(x);
    if (magnitude >= SMALLEST_SPLIT && magnitude <= LARGEST_SPLIT) {
      const hi = x * x;
      const c = SPLIT * x;
      const xh = c - (c - x);
      const xl = x - xh;
      // Dekker's TwoProduct with a = b = x: hi + lo is x² exactly.
      const lo = xl * xl - (hi - xh * xh - xl * xh - xh * xl);
      this.squares.add(hi);
      if (lo !== 0) this.squares.add(lo);
    } else {
      const units = unitsOf(x);
      this.wide += units * units;
    }
  }

  /** The sample standard deviation, null for fewer than two numbers. */
  stddev(): number | null {
    return sampleStddev(this.count, {
      scale: 1074,
      sum: this.sum.exactUnits(),
      squares: (this.squares.exactUnits() << 1074n) + this.wide,
    });
  }

  /** The numbers' sum, correctly rounded (SUM, and MEAN over `count`): one sum serves both. */
  sumValue(): number {
    return this.sum.value();
  }

  /** The numbers' exact sum in units of 2^-1074, unrounded (a store's own exact form of it). */
  sumUnits(): bigint {
    return this.sum.exactUnits();
  }

  /** Adds the numbers `other` counted, exactly: as if each had been added here. */
  merge(other: ExactMoments): void {
    this.count += other.count;
    this.sum.merge(other.sum);
    this.squares.merge(other.squares);
    this.wide += other.wide;
  }

  /**
   * Count, Σx, Σx² (ExactSum.toText each) and the wide squares, `;`-separated: what a store keeps
   * to merge the moments of several spans later (InfluxDB's rollups), read back by `fromText`.
   */
  toText(): string {
    return `${this.count};${this.sum.toText()};${this.squares.toText()};${this.wide}`;
  }

  /** The moments `toText` wrote. Throws SyntaxError on any other text. */
  static fromText(text: string): ExactMoments {
    const parts = text.split(';');
    const count = Number(parts[0]);
    if (parts.length !== 4 || !Number.isSafeInteger(count) || count < 0) {
      throw new SyntaxError(`not exact moments: ${text}`);
    }
    const moments = new ExactMoments();
    moments.count = count;
    moments.sum.merge(ExactSum.fromText(parts[1]!));
    moments.squares.merge(ExactSum.fromText(parts[2]!));
    moments.wide = BigInt(parts[3]!);
    return moments;
  }
}

/**
 * Σx and Σx² exactly, as integers: Σx = sum · 2^-scale and Σx² = squares · 2^-(2·scale).
 */
export interface ExactPowerSums {
  scale: number;
  sum: bigint;
  squares: bigint;
}

/**
 * The sample standard deviation (n − 1 in the denominator) of `count` numbers with these exact
 * sums, correctly rounded: sqrt((n·Σx² − (Σx)²) / (n·(n − 1))), null for fewer than two numbers.
 */
export function sampleStddev(count: number, sums: ExactPowerSums): number | null {
  if (count < 2) return null;
  const n = BigInt(count);
  let numerator = n * sums.squares - sums.sum * sums.sum;
  if (numerator <= 0n) return 0;
  let scale = sums.scale;
  // The same value with smaller integers: an even number of trailing zeros off the numerator,
  // half as many off the scale of its square root.
  const zeros = trailingZeros(numerator) & ~1;
  if (zeros > 0) {
    numerator >>= BigInt(zeros);
    scale -= zeros / 2;
  }
  const denominator = n * (n - 1n);
  // Scaled by 4^m so the integer square root has at least 56 bits: two more than a double keeps,
  // then a sticky bit when inexact, which rounding to nearest needs and nothing more.
  const m = Math.max(0, Math.ceil((114 - bitLength(numerator) + bitLength(denominator)) / 2));
  const scaled = numerator << BigInt(2 * m);
  const quotient = scaled / denominator;
  const root = integerSqrt(quotient);
  const exact = quotient * denominator === scaled && root * root === quotient;
  return exact ? roundScaled(root, scale + m) : roundScaled(2n * root + 1n, scale + m + 1);
}

/**
 * Σx and Σx² of parts that each hold integers X = x · 2^k: their sum `s` and the sum of their
 * squares in three pieces (X = h·2^43 + l: q2 = Σh², q1 = Σh·l, q0 = Σl², so that no piece
 * passes 2^127), as DuckDB's SQL sums them (duckdb-telemetry-sql.ts).
 */
export function powerSumsOfParts(
  parts: readonly { k: number; s: bigint; q2: bigint; q1: bigint; q0: bigint }[],
): ExactPowerSums {
  let scale = 0;
  for (const { k } of parts) scale = Math.max(scale, k);
  let sum = 0n;
  let squares = 0n;
  for (const { k, s, q2, q1, q0 } of parts) {
    const shift = BigInt(scale - k);
    sum += s << shift;
    squares += ((q2 << 86n) + (q1 << 44n) + q0) << (2n * shift);
  }
  return { scale, sum, squares };
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

function trailingZeros(value: bigint): number {
  return bitLength(value & -value) - 1;
}

/** floor(sqrt(value)) for value ≥ 0: Newton's method from above. */
function integerSqrt(value: bigint): bigint {
  if (value < 2n) return value;
  let x = 1n << BigInt((bitLength(value) + 1) >> 1);
  for (;;) {
    const next = (x + value / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}
