/**
 * SUM and MEAN as every store computes them: from the exact sum of the bucket's numbers, rounded
 * once to the nearest double (ties to even). No order of addition can change that value, so
 * repeated reads, DuckDB's parallel aggregation and InfluxDB's shards all give the same bits, and
 * the two stores give the same answer (test/contract/telemetry-store.contract.ts checks every
 * store against a BigInt reference). MEAN is that sum divided by the count.
 */

/** One double's bits, as the conversions below read and write them. */
const words = new BigUint64Array(1);
const doubles = new Float64Array(words.buffer);

/** 2^e for -1074 <= e <= 1023, each built from its bits once: exact. */
const powers = new Float64Array(2098);

function powerOfTwo(e: number): number {
  let power = powers[e + 1074]!;
  if (power === 0) {
    words[0] = e >= -1022 ? BigInt(e + 1023) << 52n : 1n << BigInt(e + 1074);
    power = powers[e + 1074] = doubles[0]!;
  }
  return power;
}

const LARGE = powerOfTwo(1022);
const NORMAL = powerOfTwo(-1022);

/**
 * The exact running sum of the numbers added, as Python's math.fsum keeps it (Shewchuk's
 * algorithm): `partials` are non-overlapping doubles, usually one to three, whose sum is exactly
 * the sum so far; `value()` rounds it correctly, half-way cases included. Used where a store reads
 * the numbers themselves (InfluxDB, whose SUM() adds in no fixed order).
 */
export class ExactSum {
  private readonly partials: number[] = [];
  /** The sum in units of 2^-1074, once a value or the sum came near the largest double. */
  private units: bigint | undefined;

  add(value: number): void {
    const partials = this.partials;
    if (this.units === undefined) {
      const top = partials.at(-1) ?? 0;
      // Below 2^1022 no partial can overflow (the partials of a sum add up to less than twice
      // the largest). Above, far from anything a sensor sends, the sum goes on in integers.
      if (Math.abs(value) < LARGE && Math.abs(top) < LARGE) {
        this.addPartial(value);
        return;
      }
      this.units = 0n;
      for (const partial of partials) this.units += unitsOf(partial);
      partials.length = 0;
    }
    this.units += unitsOf(value);
  }

  private addPartial(value: number) {
    const partials = this.partials;
    let x = value;
    let kept = 0;
    for (let j = 0; j < partials.length; j++) {
      let y = partials[j]!;
      if (Math.abs(x) < Math.abs(y)) {
        const swap = x;
        x = y;
        y = swap;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[kept++] = lo;
      x = hi;
    }
    partials.length = kept;
    if (x !== 0) partials.push(x);
  }

  value(): number {
    if (this.units !== undefined) return roundScaled(this.units, 1074);
    const partials = this.partials;
    let n = partials.length;
    if (n === 0) return 0;
    let hi = partials[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = partials[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // hi + lo is exact but rounds to hi; if the partials below push the same way and lo is half
    // an ulp of hi, the exact sum is past the half-way point and rounds away from hi.
    if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  /** The exact sum so far, in units of 2^-1074 (the smallest double): no rounding at all. */
  exactUnits(): bigint {
    let units = this.units ?? 0n;
    for (const partial of this.partials) units += unitsOf(partial);
    return units;
  }

  /**
   * Adds what `other` holds, exactly: its partials one by one (each add is exact), and its units
   * if it went on in integers. The sum of two sums is then the sum of all their numbers, so
   * rollups of several rows add up to the very bits of a sum over the points.
   */
  merge(other: ExactSum): void {
    for (const partial of other.partials) this.add(partial);
    if (other.units !== undefined) {
      this.units = this.exactUnits() + other.units;
      this.partials.length = 0;
    }
  }

  /**
   * The exact sum as short text that `fromText` reads back to an equal sum: the partials in
   * shortest round-trip form, space-separated ('' for nothing), or `u` and the units once the sum
   * went on in integers. For stores that keep a sum to be merged later (InfluxDB's rollups).
   */
  toText(): string {
    return this.units === undefined ? this.partials.join(' ') : `u${this.units}`;
  }

  /** The sum `toText` wrote. Throws SyntaxError on any other text. */
  static fromText(text: string): ExactSum {
    const sum = new ExactSum();
    if (text.startsWith('u')) sum.units = BigInt(text.slice(1));
    else if (text !== '') {
      for (const part of text.split(' ')) {
        const partial = Number(part);
        if (!Number.isFinite(partial)) throw new SyntaxError(`not an exact sum: ${text}`);
        sum.add(partial);
      }
    }
    return sum;
  }
}

/** The correctly rounded sum of `values`. */
export function exactSum(values: Iterable<number>): number {
  const sum = new ExactSum();
  for (const value of values) sum.add(value);
  return sum.value();
}

/**
 * Σ s · 2^-k over `parts`, exactly, rounded once to the nearest double (ties to even). DuckDB's
 * store sums each bucket's numbers in SQL as integers per binary exponent (s are those HUGEINT
 * sums), which is exact whatever order its threads meet the rows in.
 */
export function sumOfScaledIntegers(parts: readonly { k: number; s: bigint }[]): number {
  if (parts.length === 0) return 0;
  let scale = -Infinity;
  for (const { k } of parts) scale = Math.max(scale, k);
  let total = 0n;
  for (const { k, s } of parts) total += s << BigInt(scale - k);
  // Number() of a BigInt rounds to the nearest double, ties to even, and a power of two scales
  // it exactly unless the result leaves the normal range: then the slow path rounds it there.
  if (scale >= -971 && scale <= 1022) {
    const value = Number(total) * powerOfTwo(-scale);
    if (Number.isFinite(value) && (value === 0 || Math.abs(value) >= NORMAL)) return value;
  }
  return roundScaled(total, scale);
}

/** total · 2^-scale rounded to the nearest double, ties to even. */
export function roundScaled(total: bigint, scale: number): number {
  if (total === 0n) return 0;
  const negative = total < 0n;
  let units = negative ? -total : total;
  const bits = units.toString(2).length;
  // Keep 53 significant bits, or fewer where the result is subnormal (units of 2^-1074).
  const drop = Math.max(bits - 53, scale - 1074);
  let magnitude: number;
  if (drop <= 0) {
    magnitude = Number(units) * powerOfTwo(-scale);
  } else {
    const rest = units & ((1n << BigInt(drop)) - 1n);
    const half = 1n << BigInt(drop - 1);
    units >>= BigInt(drop);
    if (rest > half || (rest === half && (units & 1n) === 1n)) units += 1n;
    const exponent = drop - scale;
    magnitude = exponent > 1023 ? Infinity : Number(units) * powerOfTwo(exponent);
  }
  return negative ? -magnitude : magnitude;
}

/** A double as an integer number of 2^-1074, the smallest double: exactly. */
export function unitsOf(value: number): bigint {
  doubles[0] = value;
  const word = words[0]!;
  const exponent = Number((word >> 52n) & 0x7ffn);
  const fraction = word & 0xfffffffffffffn;
  const units = exponent === 0 ? fraction : (fraction | (1n << 52n)) << BigInt(exponent - 1);
  return word >> 63n === 1n ? -units : units;
}
