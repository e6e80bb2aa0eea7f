/**
 * Arbitrary values of the GraphQL scalars that are not strings (Int, Float, DateTime) and of
 * MetricValue, both wild (edges and what the type must refuse) and tame (what it accepts), and
 * values of any kind at all, for a wild operation to put where they do not belong.
 */
import fc from 'fast-check';
import { oddString, storableString } from './odd-strings.js';
import {
  booleanValue,
  enumValue,
  listValue,
  nullValue,
  numberValue,
  objectValue,
  stringValue,
  type InputValue,
} from './graphql-values.js';

const HOUR = 3_600_000;

/** Numbers whose text is both a JSON number and a GraphQL Int or Float literal. */
const INT_TEXTS = [
  '0',
  '-0',
  '1',
  '-1',
  '2',
  '5',
  '20',
  '100',
  '101',
  '1000',
  '1001',
  '3600',
  '2592000',
  '2592001',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '4294967296',
  '9007199254740991',
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
];
const FLOAT_TEXTS = [
  '0.0',
  '-0.0',
  '0.5',
  '-1.5',
  '1e3',
  '1E-3',
  '1.5e300',
  '1e308',
  '-1e308',
  '1.7976931348623157e308',
  '5e-324',
  '-5e-324',
  '1e-400',
  '1e400',
  '-1e400',
  '90.0',
  '90.000001',
  '-180.5',
  '180.0000001',
];

export const anyBoolean: fc.Arbitrary<InputValue> = fc.boolean().map(booleanValue);

/** Ints at and beyond the 32-bit limits, the page sizes' limits, and any. */
export const intValue: fc.Arbitrary<InputValue> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INT_TEXTS).map(numberValue) },
  { weight: 1, arbitrary: fc.integer().map((n) => numberValue(String(n))) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 200 }).map((n) => numberValue(String(n))) },
);

/** Huge, tiny and non-finite Floats, coordinates' edges, and Ints. */
export const floatValue: fc.Arbitrary<InputValue> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FLOAT_TEXTS).map(numberValue) },
  {
    weight: 2,
    arbitrary: fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((n) => numberValue(n.toExponential())),
  },
  { weight: 1, arbitrary: intValue },
);

/** DateTimes: mostly a few hours around now (so telemetry ranges stay cheap), and edges. */
export const dateTimeValue: fc.Arbitrary<InputValue> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .integer({ min: -48, max: 48 })
      .map((hours) => stringValue(new Date(Date.now() + hours * HOUR).toISOString())),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        '1970-01-01T00:00:00Z',
        '1969-12-31T23:59:59.999Z',
        '0000-01-01T00:00:00Z',
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999Z',
        '+275760-09-13T00:00:00.000Z',
        '-271821-04-20T00:00:00.000Z',
        '2026-02-29T00:00:00Z',
        '2024-02-29T00:00:00Z',
        '2026-13-01T00:00:00Z',
        '2026-01-01T24:00:00Z',
        '2016-12-31T23:59:60Z',
        '2026-01-01T00:00:00+14:00',
        '2026-01-01T00:00:00-12:00',
        '2026-01-01T00:00:00.123456789Z',
        '2026-01-01t00:00:00z',
        '2026-01-01 00:00:00Z',
        '2026-01-01',
        '2026-01-01T00:00:00',
        '2026-01-01T00:00:00+0100',
        '1764000000000',
        'now',
        '',
        'Mon, 24 Nov 2026 12:00:00 GMT',
        '2026-01-01T00:00:00Z\u0000',
        '2026-01-01T00:00:00\ud800Z',
      )
      .map(stringValue),
  },
  { weight: 1, arbitrary: fc.constantFrom('0', '1764000000000', '-1', '1e400').map(numberValue) },
  { weight: 1, arbitrary: oddString.map(stringValue) },
);

/** MetricValue: numbers, booleans, strings, and what it must refuse: lists, objects, null. */
export const metricValue: fc.Arbitrary<InputValue> = fc.oneof(
  { weight: 2, arbitrary: floatValue },
  { weight: 1, arbitrary: anyBoolean },
  { weight: 2, arbitrary: oddString.map(stringValue) },
  { weight: 1, arbitrary: fc.constant(nullValue) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(floatValue, oddString.map(stringValue)), { maxLength: 3 })
      .map(listValue),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom('value', 'a', 'gt', '__proto__'), floatValue), {
        maxLength: 2,
      })
      .map(objectValue),
  },
);

/** Any value of any kind: the wrong kind for whatever argument it lands on. */
export const anyValue: fc.Arbitrary<InputValue> = fc.letrec<{ value: InputValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(nullValue),
    intValue,
    floatValue,
    anyBoolean,
    oddString.map(stringValue),
    fc.constantFrom('GT', 'FIRING', 'MEAN', 'NONE', 'ACTIVE', 'nope').map(enumValue),
    fc.array(tie('value'), { maxLength: 3 }).map(listValue),
    fc
      .array(fc.tuple(fc.constantFrom('a', 'key', 'value', 'id', 'x_y'), tie('value')), {
        maxLength: 3,
      })
      .map(objectValue),
  ),
})).value;

/** Ints a tame operation gives: small ones, the page sizes' limits, the grace period's. */
export const tameInt: fc.Arbitrary<InputValue> = fc.oneof(
  fc.integer({ min: 0, max: 120 }).map((n) => numberValue(String(n))),
  fc
    .constantFrom('0', '-0', '1', '20', '100', '101', '1000', '1001', '2592000', '-1')
    .map(numberValue),
);

/**
 * Floats a tame operation gives, 1e400 included: Float's literal parser takes it (as Infinity),
 * only a variable is refused, so inline it passes validation and reaches the resolver.
 */
const tameFloat: fc.Arbitrary<InputValue> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .double({ min: -180, max: 180, noNaN: true })
      .map((n) => numberValue(n.toExponential())),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '0.0',
        '-0.0',
        '90.0',
        '-90.0',
        '180.0',
        '5e-324',
        '1e308',
        '-1e308',
        '1.0000000000000002',
      )
      .map(numberValue),
  },
  {
    // The largest and smallest doubles.
    weight: 1,
    arbitrary: fc
      .constantFrom('1.7976931348623157e308', '-1.7976931348623157e308', '5e-324', '-5e-324')
      .map(numberValue),
  },
  {
    weight: 1,
    arbitrary: fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((n) => numberValue(String(n))),
  },
  { weight: 1, arbitrary: fc.constantFrom('1e400', '-1e400').map(numberValue) },
);

/** Tame Floats by field: coordinates mostly in their ranges, so the rest of the input counts. */
export function tameFloatFor(name: string): fc.Arbitrary<InputValue> {
  const limit = name === 'latitude' ? 90 : name === 'longitude' ? 180 : undefined;
  if (limit === undefined) return tameFloat;
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .double({ min: -limit, max: limit, noNaN: true })
        .map((n) => numberValue(n.toExponential())),
    },
    { weight: 1, arbitrary: tameFloat },
  );
}

export const tameMetricValue: fc.Arbitrary<InputValue> = fc.oneof(
  tameFloat,
  anyBoolean,
  storableString.map(stringValue),
);

/** Tame DateTimes: only strings (some still do not parse), more of them within hours of now. */
export const tameDateTime: fc.Arbitrary<InputValue> = fc.oneof(
  { weight: 8, arbitrary: dateTimeValue.filter((value) => value.kind === 'string') },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: -6, max: 6 })
      .map((hours) => stringValue(new Date(Date.now() + hours * HOUR).toISOString())),
  },
);
