/**
 * A rollup row's exact sum as a few small integers that InfluxDB itself can add, so a question's
 * SUM and MEAN over thousands of rows are added up by InfluxQL's SUM() and only the bucket totals
 * travel (influx-rollup-totals.ts), while the answer keeps the very bits of the points' own.
 *
 * The sum, a multiple of 2^-64, is held as LIMBS integers of LIMB_BITS bits each (all of the sum's
 * sign): Σ limb_i · 2^(LIMB_BITS·i - 64). Integer addition is exact in any order, and each limb's
 * total over up to MAX_ROWS rows stays below 2^53, so it also survives InfluxDB's JSON as a
 * double. A row whose numbers have bits below 2^-64 (a value under 2^-12 with a full mantissa) or
 * whose sum reaches 2^64 has no limbs: such rows are read whole instead. Written by hand: no
 * library keeps an exact sum in integers an outside engine can add.
 */
import { sumOfScaledIntegers } from '../../domain/exact-sum.js';

export const LIMB_BITS = 32;
export const LIMBS = 4;
/** The limbs count units of 2^-SCALE. */
const SCALE = 64;
/** Rows whose limbs may be added in one total: MAX_ROWS · 2^LIMB_BITS ≤ 2^53. */
export const MAX_ROWS = 2 ** (53 - LIMB_BITS);

const BELOW_SCALE = BigInt(1074 - SCALE);
const LOW_BITS = (1n << BELOW_SCALE) - 1n;
const LIMB_MASK = (1n << BigInt(LIMB_BITS)) - 1n;
const WIDTH = BigInt(LIMB_BITS * LIMBS);

/**
 * The limbs of a sum given in units of 2^-1074 (ExactMoments.sumUnits), or undefined when the
 * limbs cannot hold it exactly.
 */
export function limbsOf(units: bigint): number[] | undefined {
  if ((units & LOW_BITS) !== 0n) return undefined;
  const negative = units < 0n;
  const scaled = (negative ? -units : units) >> BELOW_SCALE;
  if (scaled >> WIDTH !== 0n) return undefined;
  const limbs: number[] = [];
  for (let i = 0; i < LIMBS; i++) {
    const limb = Number((scaled >> BigInt(LIMB_BITS * i)) & LIMB_MASK);
    limbs.push(negative && limb !== 0 ? -limb : limb);
  }
  return limbs;
}

/**
 * The sum of rows from the totals of each of their limbs (safe integers), rounded once to the
 * nearest double, ties to even: the value ExactSum gives for the same numbers.
 */
export function sumOfLimbTotals(totals: readonly number[]): number {
  let scaled = 0n;
  totals.forEach((total, i) => {
    scaled += BigInt(total) << BigInt(LIMB_BITS * i);
  });
  return sumOfScaledIntegers([{ k: SCALE, s: scaled }]);
}
