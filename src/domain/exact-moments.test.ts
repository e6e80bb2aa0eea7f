import { describe, expect, it } from 'vitest';
import { referenceStddev } from '../../test/support/reference-aggregates.js';
import { ExactMoments, powerSumsOfParts, sampleStddev } from './exact-moments.js';
import { seededRandom } from '../../test/support/seeded-random.js';

const streamed = (values: readonly number[]) => {
  const moments = new ExactMoments();
  for (const value of values) moments.add(value);
  return moments.stddev();
};

/**
 * The parts DuckDB's SQL sums (duckdb-telemetry-sql.ts), worked out here with BigInt: per k, the
 * sum of X = x·2^k and of the pieces of X² (X = h·2^43 + l, h truncated toward zero as DuckDB's
 * integer division truncates).
 */
function sqlParts(values: readonly number[]) {
  const parts = new Map<number, { k: number; s: bigint; q2: bigint; q1: bigint; q0: bigint }>();
  const half = 2n ** 43n;
  for (const x of values) {
    if (x === 0) continue;
    const k = 32 * Math.ceil((53 - Math.floor(Math.log2(Math.abs(x)))) / 32);
    // Exact: a product by powers of two, each within a double's range.
    const big = BigInt(x * 2 ** (k / 2) * 2 ** (k / 2));
    const h = big / half;
    const l = big - h * half;
    const part = parts.get(k) ?? { k, s: 0n, q2: 0n, q1: 0n, q0: 0n };
    part.s += big;
    part.q2 += h * h;
    part.q1 += h * l;
    part.q0 += l * l;
    parts.set(k, part);
  }
  return sampleStddev(values.length, powerSumsOfParts([...parts.values()]));
}

describe('STDDEV from exact sums', () => {
  it('is null below two numbers, 0 for equal ones, and the textbook value for small integers', () => {
    expect(streamed([])).toBeNull();
    expect(streamed([4.5])).toBeNull();
    expect(streamed([3, 3, 3])).toBe(0);
    expect(streamed([0, 0])).toBe(0);
    // 1, 2, 3, 4: variance 5/3.
    expect(streamed([1, 2, 3, 4])).toBe(Math.sqrt(5 / 3));
    expect(streamed([2, 4, 4, 4, 5, 5, 7, 9])).toBe(Math.sqrt(32 / 7));
    expect(sqlParts([1, 2, 3, 4])).toBe(Math.sqrt(5 / 3));
  });

  it('keeps every digit where sum-of-squares minus square-of-sum in doubles loses them all', () => {
    // A thermometer at 1e8 + 0.001 steps: the naive formula gives 0 or garbage.
    const values = Array.from({ length: 1_000 }, (_, i) => 1e8 + (i % 10) * 0.001);
    const naive = (() => {
      const n = values.length;
      const sum = values.reduce((a, b) => a + b, 0);
      const squares = values.reduce((a, b) => a + b * b, 0);
      return Math.sqrt(Math.max(0, (squares - (sum * sum) / n) / (n - 1)));
    })();
    const expected = referenceStddev(values);
    expect(streamed(values)).toBe(expected);
    expect(sqlParts(values)).toBe(expected);
    expect(Math.abs(naive - expected!) / expected!).toBeGreaterThan(1e-3);
    // About 0.0028723, the spread of 0, 0.001, ..., 0.009.
    expect(expected).toBeCloseTo(0.0028737, 6);
  });

  it('is correctly rounded for values of every magnitude and sign, whatever their order', () => {
    const random = seededRandom(20_260_601);
    for (let round = 0; round < 300; round++) {
      const n = 2 + Math.floor(random() * 40);
      const scale = 10 ** Math.floor(random() * 20 - 10);
      const values = Array.from({ length: n }, () => {
        const kind = random();
        if (kind < 0.05) return 0;
        if (kind < 0.1) return (random() - 0.5) * 1e300;
        if (kind < 0.15) return (random() - 0.5) * 1e-300;
        return (Math.round((random() - 0.3) * 1e6) / 1e3) * scale;
      });
      const expected = referenceStddev(values);
      expect(streamed(values), JSON.stringify(values)).toBe(expected);
      expect(streamed([...values].reverse()), JSON.stringify(values)).toBe(expected);
      expect(sqlParts(values), JSON.stringify(values)).toBe(expected);
    }
  });

  it('handles subnormals and the largest doubles', () => {
    for (const values of [
      [Number.MIN_VALUE, 2 * Number.MIN_VALUE, 5 * Number.MIN_VALUE],
      [1.7e308, -1.7e308],
      [1.7e308, 1.6e308, 1.5e308],
      [2 ** -1022, 2 ** -1000, 0],
      [2 ** 400, 2 ** 401, 3],
    ]) {
      const expected = referenceStddev(values);
      expect(streamed(values), String(values)).toBe(expected);
    }
    expect(streamed([Number.MIN_VALUE, 2 * Number.MIN_VALUE])).toBeGreaterThan(0);
    // Finite values whose deviation passes the largest double: Infinity, from both.
    expect(streamed([1.7e308, -1.7e308])).toBe(Infinity);
  });
});

describe('ExactMoments merged and kept as text (the rollups of the InfluxDB store)', () => {
  const momentsOf = (values: readonly number[]) => {
    const moments = new ExactMoments();
    for (const value of values) moments.add(value);
    return moments;
  };

  it('merges and reads back to the moments of all the numbers, to the last bit', () => {
    const random = seededRandom(20_261_205);
    for (let round = 0; round < 300; round++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
        Array.from({ length: Math.floor(random() * 12) }, () => {
          const kind = random();
          if (kind < 0.05) return 0;
          if (kind < 0.1) return (random() - 0.5) * 1e300;
          if (kind < 0.15) return (random() - 0.5) * 1e-300;
          return Math.round((random() - 0.3) * 1e6) / 1e3;
        }),
      );
      const merged = new ExactMoments();
      for (const part of parts) merged.merge(ExactMoments.fromText(momentsOf(part).toText()));
      const all = parts.flat();
      expect(merged.count).toBe(all.length);
      expect(merged.stddev(), JSON.stringify(parts)).toBe(streamed(all));
      expect(merged.sumValue()).toBe(momentsOf(all).sumValue());
      expect(ExactMoments.fromText(merged.toText()).stddev()).toBe(streamed(all));
    }
  });

  it('refuses text it did not write', () => {
    expect(() => ExactMoments.fromText('')).toThrow(SyntaxError);
    expect(() => ExactMoments.fromText('-1;;;0')).toThrow(SyntaxError);
    expect(ExactMoments.fromText(new ExactMoments().toText()).stddev()).toBeNull();
  });
});
