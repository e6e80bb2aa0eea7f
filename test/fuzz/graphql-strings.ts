/**
 * Arbitrary String and ID values for the GraphQL fuzzer: what each argument expects by its name
 * (durations, cursors, metric names, external ids, label keys), real ids, made-up ones, and odd
 * strings of every kind.
 */
import fc from 'fast-check';
import { oddString, storableString } from './odd-strings.js';
import { stringValue, type InputValue, type Temper } from './graphql-values.js';
import { intValue } from './graphql-scalars.js';

const knownMetricNames = fc.constantFrom('temperature', 'mode', 'door_open', 'humidity');
const oddMetricNames = fc.constantFrom(
  'time',
  'org_id',
  'device_id',
  'a'.repeat(64),
  'a'.repeat(65),
  '1abc',
  "temp'; DROP TABLE telemetry; --",
  'temp"',
  'temp\\',
  'temp::tag',
  '/.*/',
);
const metricNames = fc.oneof(
  { weight: 4, arbitrary: knownMetricNames },
  { weight: 2, arbitrary: oddMetricNames },
  { weight: 3, arbitrary: oddString },
);
const tameMetricNames = fc.oneof(
  { weight: 8, arbitrary: knownMetricNames },
  { weight: 1, arbitrary: oddMetricNames },
  { weight: 1, arbitrary: storableString },
);

/**
 * Strings by argument or field name: what that argument expects, and anything odd. `cursors`
 * are real ones, mixed into `after` and `before`.
 */
export function stringFor(name: string, temper: Temper, cursors: string[]): fc.Arbitrary<string> {
  const hinted: Record<string, fc.Arbitrary<string>> = {
    every: fc.oneof(
      {
        weight: temper === 'tame' ? 4 : 1,
        arbitrary: fc.constantFrom('1h', '1d', '30m', '15m', '1w', '5200w', '1s', '500ms'),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '5201w',
          '0s',
          '0ms',
          '-1m',
          '1.5h',
          '1 h',
          '1H',
          '999999999w',
          '1000000000s',
          '99999999999999999999d',
          '',
          'PT1H',
        ),
      },
    ),
    after: fc.constantFrom(...['', 'x', 'bm90IGEgY3Vyc29y', '\u0000', 'YXJyYXljb25uZWN0aW9uOjA=']),
    before: fc.constantFrom('', 'x', 'bm90IGEgY3Vyc29y'),
    metric: metricNames,
    metrics: metricNames,
    // Shaped like the resolvers want them (externalIds unique, label keys from their alphabet).
    externalId: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
    key: fc.oneof(fc.constant('site'), fc.stringMatching(/^[a-z][a-z0-9_./-]{0,15}$/)),
  };
  if (temper === 'tame') {
    hinted.metric = tameMetricNames;
    hinted.metrics = tameMetricNames;
  }
  const hint = hinted[name];
  const realCursors = name === 'after' || name === 'before' ? cursors : [];
  const tame = temper === 'tame';
  return fc.oneof(
    {
      weight: tame ? 6 : 3,
      arbitrary: hint ?? fc.constantFrom('north', 'site', 'thermostat', 'Sensor 1'),
    },
    ...(realCursors.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...realCursors) }] : []),
    { weight: tame ? 3 : 4, arbitrary: tame ? storableString : oddString },
  );
}

/** IDs: the real ones of every kind (so that real paths run), made-up ones, odd strings. */
export function idValue(temper: Temper, realIds: string[]): fc.Arbitrary<InputValue> {
  if (temper === 'tame') {
    return fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...realIds).map(stringValue) },
      { weight: 2, arbitrary: fc.uuid().map(stringValue) },
      { weight: 1, arbitrary: storableString.map(stringValue) },
    );
  }
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...realIds).map(stringValue) },
    { weight: 2, arbitrary: fc.uuid().map(stringValue) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('', '0', '00000000-0000-0000-0000-000000000000', 'null', 'undefined')
        .map(stringValue),
    },
    { weight: 2, arbitrary: oddString.map(stringValue) },
    { weight: 1, arbitrary: intValue },
  );
}

/** Strings no store can hold as text: NUL or a lone surrogate in a plain one. */
export const unstorableString = fc
  .tuple(
    fc.constantFrom('', 'a', 'north'),
    fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d'),
    fc.constantFrom('', 'b', '😀'),
  )
  .map(([before, bad, after]) => before + bad + after);
