/**
 * The limbs of rollup rows' sums (influx-sum-limbs.ts): rows' limbs added up as InfluxDB adds
 * integers give the correctly rounded sum of all of their numbers, and a sum the limbs cannot
 * hold exactly has none.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactMoments } from '../../domain/exact-moments.js';
import { exactSum } from '../../domain/exact-sum.js';
import { LIMB_BITS, LIMBS, limbsOf, MAX_ROWS, sumOfLimbTotals } from './influx-sum-limbs.js';

const limbsOfNumbers = (numbers: readonly number[]) => {
  const moments = new ExactMoments();
  for (const x of numbers) moments.add(x);
  return limbsOf(moments.sumUnits());
};

/** Multiples of 2^-64 below 2^40: every number of a few significant digits between. */
const fitting = fc
  .tuple(
    fc.integer({ min: -(2 ** 30), max: 2 ** 30 }),
    fc.integer({ min: 0, max: 2 ** 22 }),
    fc.integer({ min: -64, max: 10 }),
  )
  .map(([high, low, exponent]) => (high * 2 ** 22 + low) * 2 ** exponent)
  .filter((x) => Math.abs(x) < 2 ** 40);

/** Limbs added up as InfluxDB adds the rows' integer fields. */
function totalsOf(rows: readonly number[][]): number[] | undefined {
  const totals = new Array<number>(LIMBS).fill(0);
  for (const row of rows) {
    const limbs = limbsOfNumbers(row);
    if (!limbs) return undefined;
    limbs.forEach((limb, i) => {
      expect(Number.isSafeInteger(limb) && Math.abs(limb) < 2 ** 32).toBe(true);
      totals[i]! += limb;
    });
  }
  return totals;
}

describe('limbs of a rollup row sum', () => {
  it('add up, row by row, to the exact sum of every number, rounded once', () => {
    const rows = fc.array(fc.array(fitting, { minLength: 1, maxLength: 30 }), { maxLength: 40 });
    fc.assert(
      fc.property(rows, (rows) => {
        const totals = totalsOf(rows);
        expect(totals).toBeDefined();
        expect(Object.is(sumOfLimbTotals(totals!), exactSum(rows.flat()))).toBe(true);
      }),
    );
  });

  it('are exact or none, for any numbers', () => {
    const any = fc.double({ noNaN: true, noDefaultInfinity: true });
    const rows = fc.array(fc.array(any, { minLength: 1, maxLength: 5 }), { maxLength: 5 });
    fc.assert(
      fc.property(rows, (rows) => {
        const totals = totalsOf(rows);
        if (totals) expect(Object.is(sumOfLimbTotals(totals), exactSum(rows.flat()))).toBe(true);
      }),
    );
  });

  it('are the same integers whatever order the rows are added in', () => {
    const rows = [[0.1, 0.2], [-0.30000000000000004], [1e15, 3.5], [-1e15]];
    const sums = rows.map((row) => limbsOfNumbers(row)!);
    const forward = sums.reduce((a, b) => a.map((x, i) => x + b[i]!));
    const backward = [...sums].reverse().reduce((a, b) => a.map((x, i) => x + b[i]!));
    expect(forward).toEqual(backward);
    expect(sumOfLimbTotals(forward)).toBe(exactSum(rows.flat()));
  });

  it('are none for a sum with bits below 2^-64 or of 2^64 and more', () => {
    expect(limbsOfNumbers([2 ** -65])).toBeUndefined();
    expect(limbsOfNumbers([1e-6])).toBeUndefined();
    expect(limbsOfNumbers([2 ** 63, 2 ** 63])).toBeUndefined();
    expect(limbsOfNumbers([2 ** 64, -(2 ** 63)])).toBeDefined();
    expect(limbsOfNumbers([2 ** -64])).toEqual([1, 0, 0, 0]);
    expect(limbsOfNumbers([-1])).toEqual([0, 0, -1, 0]);
  });

  it('add up MAX_ROWS rows of the largest sum they hold to safe integers, and its exact total', () => {
    // 2^64 - 2^-64: every limb at its largest.
    const largest = limbsOf((1n << 1138n) - (1n << 1010n))!;
    expect(largest).toEqual(new Array(LIMBS).fill(2 ** LIMB_BITS - 1));
    const totals = largest.map((limb) => limb * MAX_ROWS);
    for (const total of totals) expect(Number.isSafeInteger(total)).toBe(true);
    // MAX_ROWS · (2^64 - 2^-64) = 2^85 - 2^-43, which rounds to 2^85.
    expect(sumOfLimbTotals(totals)).toBe(2 ** 85);
    expect(sumOfLimbTotals(totals.map((total) => -total))).toBe(-(2 ** 85));
  });
});
