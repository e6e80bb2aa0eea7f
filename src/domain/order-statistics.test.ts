import { describe, expect, it } from 'vitest';
import {
  medianOfSorted,
  nearestRankOf,
  percentileFraction,
  percentileOfSorted,
} from './order-statistics.js';

describe('MEDIAN', () => {
  it("is InfluxQL's: the middle value, or lo + (hi - lo) / 2", () => {
    expect(medianOfSorted([])).toBeNull();
    expect(medianOfSorted([3])).toBe(3);
    expect(medianOfSorted([1, 2, 9])).toBe(2);
    expect(medianOfSorted([0.1, 0.7])).toBe(0.4);
    expect((0.1 + 0.7) / 2).toBe(0.39999999999999997);
    // No overflow for two large values of one sign.
    expect(medianOfSorted([1.5e308, 1.7e308])).toBe(1.6e308);
  });
});

describe('nearest-rank percentiles of any p', () => {
  it('reads p as the decimal it prints as', () => {
    expect(percentileFraction(99.9)).toEqual({ numerator: 999n, denominator: 1000n });
    expect(percentileFraction(12.5)).toEqual({ numerator: 1n, denominator: 8n });
    expect(percentileFraction(50)).toEqual({ numerator: 1n, denominator: 2n });
    expect(percentileFraction(100)).toEqual({ numerator: 1n, denominator: 1n });
    expect(percentileFraction(1.5e-7)).toEqual({ numerator: 3n, denominator: 2n * 10n ** 9n });
    // Too small for any count below 2^53 to reach rank 1.
    expect(percentileFraction(5e-324)).toEqual({ numerator: 0n, denominator: 1n });
    expect(() => percentileFraction(0)).toThrow(RangeError);
    expect(() => percentileFraction(100.5)).toThrow(RangeError);
  });

  it('takes rank floor(n * p / 100 + 0.5) exactly, clamped to 1..n', () => {
    // 375 * 9.2 / 100 + 0.5 is 35; in doubles, floor(34.99999999999999) is 34.
    expect(Math.floor((375 * 9.2) / 100 + 0.5)).toBe(34);
    expect(nearestRankOf(9.2)(375)).toBe(35);
    expect(nearestRankOf(99.9)(1000)).toBe(999);
    expect(nearestRankOf(99.9)(500)).toBe(500);
    expect(nearestRankOf(12.5)(4)).toBe(1);
    expect(nearestRankOf(1)(3)).toBe(1);
    expect(nearestRankOf(100)(7)).toBe(7);
    expect(nearestRankOf(50)(4)).toBe(2);
    expect(nearestRankOf(50)(5)).toBe(3);
    for (const p of [50, 90, 95, 99]) {
      for (let n = 1; n < 300; n++) {
        expect(nearestRankOf(p)(n)).toBe(Math.max(1, Math.floor((n * p + 50) / 100)));
      }
    }
    expect(percentileOfSorted([], nearestRankOf(50))).toBeNull();
    expect(percentileOfSorted([1, 2, 3, 4], nearestRankOf(75))).toBe(3);
  });
});
