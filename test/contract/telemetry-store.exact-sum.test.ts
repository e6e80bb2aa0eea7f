/**
 * The two exact sums the stores use (src/domain/exact-sum.ts) against the
 * BigInt reference, in any order: InfluxDB's running sum over the numbers it reads, and DuckDB's
 * per-exponent integer sums (whose SQL this test mirrors in JavaScript).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactSum, sumOfScaledIntegers } from '../../src/domain/exact-sum.js';
import { correctlyRoundedSum } from '../support/reference-aggregates.js';

const LARGEST = 1.7976931348623157e308;

/** Every finite double, including subnormals and values near the largest. */
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
/** What sensors send: decimals of a few digits, of any magnitude. */
const decimal = fc
  .tuple(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: -12, max: 12 }))
  .map(([digits, exponent]) => (digits / 1_000) * 10 ** exponent);
const values = fc.array(fc.oneof(anyDouble, decimal, decimal), { maxLength: 60 });
/** A list and the same values in another order. */
const withShuffled = values.chain((list) =>
  fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length })),
);

/** DuckDB's exact sum (duckdb-telemetry-sql.ts), step by step: x * 2^k summed as integers per k. */
function perExponentParts(list: readonly number[]) {
  const parts = new Map<number, bigint>();
  for (const x of list) {
    if (x === 0) continue;
    const k = 32 * Math.ceil((53 - Math.floor(Math.log2(Math.abs(x)))) / 32);
    const half = Math.trunc(k / 2);
    const integer = x * 2 ** half * 2 ** (k - half);
    expect(Number.isInteger(integer) && Math.abs(integer) < 2 ** 86, `${x} at ${k}`).toBe(true);
    parts.set(k, (parts.get(k) ?? 0n) + BigInt(integer));
  }
  return [...parts].map(([k, s]) => ({ k, s }));
}

/** Equal as doubles, where 0 and -0 both stand for a sum of nothing. */
const same = (a: number, b: number) => Object.is(a, b) || (a === 0 && b === 0);

describe('exact sums', () => {
  it('are the correctly rounded sum, whatever the order', () => {
    fc.assert(
      fc.property(withShuffled, ([list, shuffled]) => {
        const expected = correctlyRoundedSum(list);
        expect(same(exactSum(list), expected)).toBe(true);
        expect(same(exactSum(shuffled), expected)).toBe(true);
        expect(same(sumOfScaledIntegers(perExponentParts(shuffled)), expected)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('round half-way cases to even and keep what order-dependent sums lose', () => {
    const cases: number[][] = [
      Array.from({ length: 10 }, () => 0.1),
      [1e16, 1, -1e16],
      [1e-16, 1, 1e16],
      [2 ** 53, 1, 2 ** -60],
      [2 ** 53, 1, -(2 ** -60)],
      [5e-324, 5e-324, -1e-320],
      [LARGEST, LARGEST, -LARGEST],
      [LARGEST, LARGEST],
      [],
    ];
    for (const list of cases) {
      const expected = correctlyRoundedSum(list);
      expect(exactSum(list), String(list)).toBe(expected);
      expect(sumOfScaledIntegers(perExponentParts(list)), String(list)).toBe(expected);
    }
    expect(exactSum(Array.from({ length: 10 }, () => 0.1))).toBe(1);
    expect(exactSum([2 ** 53, 1, 2 ** -60])).toBe(2 ** 53 + 2);
    expect(exactSum([LARGEST, LARGEST, -LARGEST])).toBe(LARGEST);
    expect(exactSum([LARGEST, LARGEST])).toBe(Infinity);
  });
});
