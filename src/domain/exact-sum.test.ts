import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correctlyRoundedSum } from '../../test/support/reference-aggregates.js';
import { ExactSum } from './exact-sum.js';

/** Every finite double, subnormals and values near the largest included. */
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
/** What sensors send: decimals of a few digits, of any magnitude. */
const decimal = fc
  .tuple(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: -12, max: 12 }))
  .map(([digits, exponent]) => (digits / 1_000) * 10 ** exponent);
const values = fc.array(fc.oneof(anyDouble, decimal, decimal), { maxLength: 40 });

const sumOf = (list: readonly number[]) => {
  const sum = new ExactSum();
  for (const value of list) sum.add(value);
  return sum;
};

/** Equal as doubles, where 0 and -0 both stand for a sum of nothing. */
const same = (a: number, b: number) => Object.is(a, b) || (a === 0 && b === 0);

describe('ExactSum merged and kept as text (the rollups of the InfluxDB store)', () => {
  it('merges to the exact sum of both lists, whatever they hold', () => {
    fc.assert(
      fc.property(fc.array(values, { minLength: 1, maxLength: 6 }), (lists) => {
        const merged = new ExactSum();
        for (const list of lists) merged.merge(sumOf(list));
        const all = lists.flat();
        expect(merged.exactUnits()).toBe(sumOf(all).exactUnits());
        expect(same(merged.value(), correctlyRoundedSum(all)), String(all)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('reads back from its text as the very same sum, and keeps adding exactly', () => {
    fc.assert(
      fc.property(values, values, (list, more) => {
        const read = ExactSum.fromText(sumOf(list).toText());
        expect(read.exactUnits()).toBe(sumOf(list).exactUnits());
        for (const value of more) read.add(value);
        expect(same(read.value(), correctlyRoundedSum([...list, ...more]))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('writes nothing for nothing, and its units once it went on in integers', () => {
    expect(new ExactSum().toText()).toBe('');
    expect(ExactSum.fromText('').value()).toBe(0);
    const huge = sumOf([1.7e308, 1.7e308, -1.7e308]);
    expect(huge.toText()).toMatch(/^u\d+$/);
    expect(ExactSum.fromText(huge.toText()).value()).toBe(1.7e308);
    // Merging a sum that went on in integers into one that did not, and the other way round.
    const small = sumOf([0.1, 2 ** -1074]);
    const both = sumOf([0.1, 2 ** -1074]);
    both.merge(huge);
    huge.merge(small);
    expect(both.exactUnits()).toBe(huge.exactUnits());
    expect(both.value()).toBe(correctlyRoundedSum([1.7e308, 1.7e308, -1.7e308, 0.1, 2 ** -1074]));
  });

  it('refuses text it did not write', () => {
    expect(() => ExactSum.fromText('1 x')).toThrow(SyntaxError);
    expect(() => ExactSum.fromText('uz')).toThrow(SyntaxError);
  });
});
