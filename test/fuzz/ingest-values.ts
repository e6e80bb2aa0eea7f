/**
 * Metric names and values for the ingest fuzzer, as raw JSON text, written by hand where
 * JSON.stringify cannot express the case: numbers JSON has no word for (1e400, NaN, 0x10), deep
 * nesting, strings quoted three ways, names reserved, too long, or odd.
 */
import fc from 'fast-check';
import { oddString } from './odd-strings.js';
import { quoted, type QuoteMode } from './string-escapes.js';
import { MAX_METRICS } from './ingest-limits.js';

export const quoteMode = fc.constantFrom<QuoteMode>('stringify', 'escaped', 'raw');

/** Numbers as raw JSON text, extreme ones and non-JSON ones (NaN, Infinity, hex…) included. */
const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0',
    '-0',
    '-0.0',
    '1e308',
    '-1e308',
    '1.7976931348623157e308',
    '-1.7976931348623157E+308',
    '5e-324',
    '-5e-324',
    '1e-400',
    '1e400',
    '-1e400',
    '9007199254740991',
    '9007199254740993',
    '-9007199254740993',
    '123456789012345678901234567890',
    `1${'0'.repeat(308)}`,
    `1${'0'.repeat(309)}`,
    '0.1e1',
    '1E2',
    '2.5e+3',
    'NaN',
    '-NaN',
    'Infinity',
    '-Infinity',
    '+1',
    '01',
    '.5',
    '5.',
    '0x10',
    '1_000',
    '1e',
    '--1',
  ),
  fc.double().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => value.toExponential()),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
);

/** Deeply nested arrays or objects, as raw text. */
const nestedText = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** Metric values of every kind: legal ones and everything a device should not send. */
export const valueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: numberText },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', 'TRUE', 'True', 'nul') },
  {
    weight: 5,
    arbitrary: fc.tuple(oddString, quoteMode).map(([text, mode]) => quoted(text, mode)),
  },
  { weight: 1, arbitrary: nestedText },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
);

/** Legal metric names: the server's alphabet, up to 64 characters, not a reserved column. */
export const validName = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)
  .filter((name) => !['time', 'org_id', 'device_id'].includes(name));

/** Metric names of every kind: legal, reserved, at and over the 64 limit, odd, prototype keys. */
const metricName: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: validName },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'time',
      'org_id',
      'device_id',
      'Time',
      'TIME',
      'ts',
      'metrics',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'a'.repeat(64),
      'a'.repeat(65),
      `a${'😀'.repeat(63)}`,
      '1abc',
      '_a',
      '-a',
      '.a',
      'a b',
      'a\u0000',
      'é',
      'temp\u200f',
      'a/b',
      'a;DROP TABLE telemetry',
      "a'b",
      'a"b',
    ),
  },
  { weight: 3, arbitrary: oddString },
);

/** A metric name (or any key) as a JSON string literal. */
export const nameText = fc.tuple(metricName, quoteMode).map(([name, mode]) => quoted(name, mode));

/** `{"name": value, …}` as raw text: few metrics, or around the 100 limit, duplicate keys too. */
export const metricsText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(fc.tuple(nameText, valueText), { maxLength: 6 })
      .map((entries) => `{${entries.map(([name, value]) => `${name}:${value}`).join(',')}}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: MAX_METRICS - 5, max: MAX_METRICS + 5 }), valueText)
      .map(
        ([count, value]) =>
          `{${Array.from({ length: count }, (_, i) => `"m${i}":${value}`).join(',')}}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(nameText, valueText, valueText)
      .map(([name, first, second]) => `{${name}:${first},${name}:${second}}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{}', '[]', 'null', '"metrics"', '1', 'true', '[{"a":1}]'),
  },
);
