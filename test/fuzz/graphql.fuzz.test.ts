/**
 * Schema-driven property-based fuzzing of the GraphQL API (issue 7), on the real embedded app on
 * port 0. For every root field of Query, Mutation and Subscription (and every field with
 * arguments below them: Device.telemetry, Device.rawTelemetry, reached through `device(id)`),
 * fast-check generates argument values from the argument types: strings and IDs with every odd
 * character (NUL, lone surrogates, controls, BOM, RTL marks, astral), Int at and beyond the
 * 32-bit limits, huge and tiny Floats, valid and invalid DateTimes, valid and invalid enum
 * values, input objects with fields missing or made up, empty and huge lists, MetricValue given
 * numbers, booleans, strings, lists, objects and null. A third of the operations are wild (now
 * and then a value of the wrong kind, null for a non-null, a field left out or made up), half are
 * tame (values the types accept, so the resolvers run on them), a sixth tame but for one string
 * made NUL or a lone surrogate. IDs are real ones (devices, alert rules, API keys made before the
 * run) mixed with made-up ones, so that both NOT_FOUND and real paths run. Each operation is
 * sent twice: with the values as variables, and written inline as literals. Subscriptions are
 * opened over SSE or graphql-ws and held for a moment. A last property sends raw requests (any
 * body, media type and method) to /graphql.
 *
 * Properties: every HTTP answer is below 500, and every GraphQL error carries an
 * `extensions.code` other than INTERNAL_SERVER_ERROR (and is not the masked 'Unexpected
 * error.'); afterwards the server still answers a normal query and the pipeline still stores a
 * fresh point within seconds. The outcomes (answered, or refused with which code) are printed
 * per field and way of sending at the end, to show what the run reached.
 *
 * The default run is sized for CI (both fuzz suites together well under a minute: 60 runs per
 * field, 12 per subscription, 300 raw requests). A longer run:
 *   FUZZ_RUNS=2000 npx vitest run test/fuzz
 * (400 runs per field, 100 per subscription, 1,000 raw requests). A failure prints fast-check's
 * counterexample (both documents and the variables) with its seed and path; replay it with
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/graphql.fuzz.test.ts -t '<test>'
 * FUZZ_SURVEY=1 runs every property to the end and lists each distinct failure class once, with
 * a counterexample, instead of stopping at the first.
 */
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isRequiredArgument,
  Kind,
  print,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import {
  CreateAlertRuleDocument,
  CreateApiKeyDocument,
  DeviceLatestDocument,
  DevicesDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import {
  allOf,
  fuzz,
  fuzzRuns,
  fuzzTimeout,
  oddString,
  unstorableCharacters,
  Violation,
  visible,
} from './fuzz-support.js';

const app = useEmbeddedApp({
  // The fuzzer must reach validation and the resolvers, not the rate limiter.
  RATE_LIMIT_USER_PER_SECOND: '1000000',
  RATE_LIMIT_USER_BURST: '1000000',
  RATE_LIMIT_API_KEY_PER_SECOND: '1000000',
  RATE_LIMIT_API_KEY_BURST: '1000000',
  RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
  RATE_LIMIT_DEVICE_BURST: '1000000',
});

const HOUR = 3_600_000;

/** Real ids and values, made before the run, mixed into the generated ones. */
const real = {
  deviceIds: [] as string[],
  deviceTokens: [] as string[],
  ruleIds: [] as string[],
  apiKeyIds: [] as string[],
  cursors: [] as string[],
};

beforeAll(async () => {
  const gql = createGraphQLClient(app.baseUrl, app.adminToken);
  for (const [index, type] of ['thermostat', 'door'].entries()) {
    const { registerDevice } = await expectData(
      gql(RegisterDeviceDocument, {
        input: {
          externalId: `fuzz-${index}`,
          name: `Fuzz ${index}`,
          type,
          labels: [{ key: 'site', value: 'north' }],
          location: { latitude: 52.5, longitude: 13.4 },
        },
      }),
    );
    real.deviceIds.push(registerDevice.device.id);
    real.deviceTokens.push(registerDevice.token);
  }
  for (const [index, threshold] of [20, 'open', true].entries()) {
    const { createAlertRule } = await expectData(
      gql(CreateAlertRuleDocument, {
        input: {
          name: `rule ${index}`,
          metric: ['temperature', 'mode', 'door_open'][index]!,
          condition: index === 0 ? 'GT' : 'EQ',
          threshold,
        },
      }),
    );
    real.ruleIds.push(createAlertRule.id);
  }
  const { createApiKey } = await expectData(
    gql(CreateApiKeyDocument, { input: { name: 'fuzz', scopes: ['READ_DEVICES'] } }),
  );
  real.apiKeyIds.push(createApiKey.apiKey.id);
  // Points for the first device: numbers, strings and booleans, over the last hours.
  const now = Date.now();
  const lines = Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({
      ts: now - i * 600_000,
      metrics: { temperature: 15 + i, mode: i % 2 ? 'eco' : 'heat', door_open: i % 3 === 0 },
    }),
  ).join('\n');
  const posted = await postTelemetry(
    app.baseUrl,
    real.deviceTokens[0],
    lines,
    'application/x-ndjson',
  );
  expect(posted.status).toBe(202);
  const id = real.deviceIds[0]!;
  const range = {
    from: new Date(now - 24 * HOUR).toISOString(),
    to: new Date(now + HOUR).toISOString(),
  };
  const raw = await eventually(async () => {
    const data = await expectData(gql(RawTelemetryDocument, { id, ...range, first: 5 }));
    return data.device.rawTelemetry.edges.length === 5 ? data.device.rawTelemetry : undefined;
  });
  real.cursors.push(raw.pageInfo.endCursor!);
  const page = await expectData(gql(DevicesDocument, { first: 1 }));
  real.cursors.push(page.devices.pageInfo.endCursor!);
});

// ---------------------------------------------------------------------------------------------
// Values: one model, written either as JSON (variables) or as GraphQL literals (inline).

type Value =
  | { kind: 'null' }
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'enum'; value: string }
  | { kind: 'list'; items: Value[] }
  | { kind: 'object'; fields: [string, Value][] };

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

function asJson(value: Value): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'number':
      return value.text;
    case 'string':
    case 'enum':
      // Lone surrogates are written as \udXXX escapes, which JSON.parse turns back into them.
      return JSON.stringify(value.value);
    case 'boolean':
      return String(value.value);
    case 'list':
      return `[${value.items.map(asJson).join(',')}]`;
    case 'object':
      return `{${value.fields.map(([name, field]) => `${JSON.stringify(name)}:${asJson(field)}`).join(',')}}`;
  }
}

/** A GraphQL string literal with every unit outside printable ASCII as \uXXXX. */
function escapedString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code < 0x20 || code >= 0x7f) {
      out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    } else out += text[i];
  }
  return `${out}"`;
}

type LiteralStyle = 'print' | 'escaped' | 'block';

/** Whether `text` holds a C0 control character other than tab, LF and CR. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return true;
  }
  return false;
}

/** The value as a GraphQL literal, strings written by graphql's print, escaped, or as blocks. */
function asLiteral(value: Value, style: LiteralStyle): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'number':
      return value.text;
    case 'string':
      if (style === 'escaped') return escapedString(value.value);
      // A block string holds its characters raw: one with a control character other than tab,
      // LF or CR cannot be written as a block (the source would not parse), so it is printed.
      return print({
        kind: Kind.STRING,
        value: value.value,
        block: style === 'block' && !hasControlCharacter(value.value),
      });
    case 'enum':
      // A name that is not a GraphQL Name can only be written as a string.
      return NAME.test(value.value) ? value.value : escapedString(value.value);
    case 'boolean':
      return String(value.value);
    case 'list':
      return `[${value.items.map((item) => asLiteral(item, style)).join(', ')}]`;
    case 'object':
      return `{${value.fields
        .filter(([name]) => NAME.test(name))
        .map(([name, field]) => `${name}: ${asLiteral(field, style)}`)
        .join(', ')}}`;
  }
}

const nullValue: Value = { kind: 'null' };
const str = (value: string): Value => ({ kind: 'string', value });
const num = (text: string): Value => ({ kind: 'number', text });

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

const intValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INT_TEXTS).map(num) },
  { weight: 1, arbitrary: fc.integer().map((n) => num(String(n))) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 200 }).map((n) => num(String(n))) },
);
const floatValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FLOAT_TEXTS).map(num) },
  {
    weight: 2,
    arbitrary: fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((n) => num(n.toExponential())),
  },
  { weight: 1, arbitrary: intValue },
);

const now = () => Date.now();
/** DateTimes: mostly a few hours around now (so telemetry ranges stay cheap), and edges. */
const dateTimeValue: fc.Arbitrary<Value> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .integer({ min: -48, max: 48 })
      .map((hours) => str(new Date(now() + hours * HOUR).toISOString())),
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
      .map(str),
  },
  { weight: 1, arbitrary: fc.constantFrom('0', '1764000000000', '-1', '1e400').map(num) },
  { weight: 1, arbitrary: oddString.map(str) },
);

/** Odd strings a store can hold as text (no NUL, no lone surrogate). */
const storableString = oddString.filter((text) => unstorableCharacters(text).length === 0);

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

/** Strings by argument or field name: what that argument expects, and anything odd. */
function stringFor(name: string, temper: Temper): fc.Arbitrary<string> {
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
  const cursors = name === 'after' || name === 'before' ? real.cursors : [];
  const tame = temper === 'tame';
  return fc.oneof(
    {
      weight: tame ? 6 : 3,
      arbitrary: hint ?? fc.constantFrom('north', 'site', 'thermostat', 'Sensor 1'),
    },
    ...(cursors.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...cursors) }] : []),
    { weight: tame ? 3 : 4, arbitrary: tame ? storableString : oddString },
  );
}

/** IDs: the real ones of every kind (so that real paths run), made-up ones, odd strings. */
function idValue(temper: Temper): fc.Arbitrary<Value> {
  const ids = [...real.deviceIds, ...real.ruleIds, ...real.apiKeyIds];
  if (temper === 'tame') {
    return fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...ids).map(str) },
      { weight: 2, arbitrary: fc.uuid().map(str) },
      { weight: 1, arbitrary: storableString.map(str) },
    );
  }
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...ids).map(str) },
    { weight: 2, arbitrary: fc.uuid().map(str) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('', '0', '00000000-0000-0000-0000-000000000000', 'null', 'undefined')
        .map(str),
    },
    { weight: 2, arbitrary: oddString.map(str) },
    { weight: 1, arbitrary: intValue },
  );
}

/** MetricValue: numbers, booleans, strings, and what it must refuse: lists, objects, null. */
const metricValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 2, arbitrary: floatValue },
  { weight: 1, arbitrary: fc.boolean().map((value): Value => ({ kind: 'boolean', value })) },
  { weight: 2, arbitrary: oddString.map(str) },
  { weight: 1, arbitrary: fc.constant(nullValue) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(floatValue, oddString.map(str)), { maxLength: 3 })
      .map((items): Value => ({ kind: 'list', items })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom('value', 'a', 'gt', '__proto__'), floatValue), {
        maxLength: 2,
      })
      .map((fields): Value => ({ kind: 'object', fields })),
  },
);

/** Any value of any kind: the wrong kind for whatever argument it lands on. */
const anyValue: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(nullValue),
    intValue,
    floatValue,
    fc.boolean().map((value): Value => ({ kind: 'boolean', value })),
    oddString.map(str),
    fc
      .constantFrom('GT', 'FIRING', 'MEAN', 'NONE', 'ACTIVE', 'nope')
      .map((value): Value => ({ kind: 'enum', value })),
    fc.array(tie('value'), { maxLength: 3 }).map((items): Value => ({ kind: 'list', items })),
    fc
      .array(fc.tuple(fc.constantFrom('a', 'key', 'value', 'id', 'x_y'), tie('value')), {
        maxLength: 3,
      })
      .map((fields): Value => ({ kind: 'object', fields })),
  ),
})).value;

/**
 * How values are made. `wild`: anything the type allows and, now and then, what it does not (a
 * value of another kind, null for a non-null, a required field left out or one made up, Ints
 * past 32 bits, a list or an object as a MetricValue). `tame`: values the type accepts, so that
 * the operation passes validation and the resolvers run on them, strings as odd as ever.
 */
type Temper = 'wild' | 'tame';

/** Strings, IDs, enums as their type admits them, or (wild) anything now and then. */
function valueFor(
  type: GraphQLInputType,
  name: string,
  depth: number,
  temper: Temper,
  nullable = true,
): fc.Arbitrary<Value> {
  const ofType = rightValueFor(type, name, depth, temper, nullable);
  if (temper === 'tame') return ofType;
  return fc.oneof({ weight: 30, arbitrary: ofType }, { weight: 1, arbitrary: anyValue });
}

/** Ints a tame operation gives: small ones, the page sizes' limits, the grace period's. */
const tameInt: fc.Arbitrary<Value> = fc.oneof(
  fc.integer({ min: 0, max: 120 }).map((n) => num(String(n))),
  fc.constantFrom('0', '-0', '1', '20', '100', '101', '1000', '1001', '2592000', '-1').map(num),
);
/**
 * Floats a tame operation gives, 1e400 included: Float's literal parser takes it (as Infinity),
 * only a variable is refused, so inline it passes validation and reaches the resolver.
 */
const tameFloat: fc.Arbitrary<Value> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.double({ min: -180, max: 180, noNaN: true }).map((n) => num(n.toExponential())),
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
      .map(num),
  },
  {
    // The largest and smallest doubles.
    weight: 1,
    arbitrary: fc
      .constantFrom('1.7976931348623157e308', '-1.7976931348623157e308', '5e-324', '-5e-324')
      .map(num),
  },
  {
    weight: 1,
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => num(String(n))),
  },
  { weight: 1, arbitrary: fc.constantFrom('1e400', '-1e400').map(num) },
);
/** Tame Floats by field: coordinates mostly in their ranges, so the rest of the input counts. */
function tameFloatFor(name: string): fc.Arbitrary<Value> {
  const limit = name === 'latitude' ? 90 : name === 'longitude' ? 180 : undefined;
  if (limit === undefined) return tameFloat;
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .double({ min: -limit, max: limit, noNaN: true })
        .map((n) => num(n.toExponential())),
    },
    { weight: 1, arbitrary: tameFloat },
  );
}

const tameMetricValue: fc.Arbitrary<Value> = fc.oneof(
  tameFloat,
  fc.boolean().map((value): Value => ({ kind: 'boolean', value })),
  storableString.map(str),
);

const tameDateTime: fc.Arbitrary<Value> = fc.oneof(
  { weight: 8, arbitrary: dateTimeValue.filter((value) => value.kind === 'string') },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: -6, max: 6 })
      .map((hours) => str(new Date(now() + hours * HOUR).toISOString())),
  },
);

/** `nullAllowed`: false below a non-null type, where (wild) null comes only now and then. */
function rightValueFor(
  type: GraphQLInputType,
  name: string,
  depth: number,
  temper: Temper,
  nullAllowed: boolean,
): fc.Arbitrary<Value> {
  const wild = temper === 'wild';
  if (isNonNullType(type)) {
    const inner = valueFor(type.ofType, name, depth, temper, false);
    if (!wild) return inner;
    return fc.oneof(
      { weight: 40, arbitrary: inner },
      { weight: 1, arbitrary: fc.constant(nullValue) },
    );
  }
  const nullable = (arbitrary: fc.Arbitrary<Value>) =>
    nullAllowed
      ? fc.oneof({ weight: 8, arbitrary }, { weight: 1, arbitrary: fc.constant(nullValue) })
      : arbitrary;
  if (isListType(type)) {
    const item = valueFor(type.ofType as GraphQLInputType, name, depth + 1, temper);
    return nullable(
      fc
        .oneof(
          { weight: 6, arbitrary: fc.array(item, { maxLength: 4 }) },
          { weight: 1, arbitrary: fc.constant([] as Value[]) },
          // A single value where a list is expected (input coercion makes a list of it).
          { weight: 1, arbitrary: item.map((value) => [value]) },
          {
            // Huge: around the limits of the resolvers (100 ids, metrics) and beyond.
            weight: 1,
            arbitrary: fc
              .tuple(item, fc.constantFrom(50, 100, 101, 1_000, 3_000))
              .map(([value, count]) => Array.from({ length: count }, () => value)),
          },
        )
        .map((items): Value => ({ kind: 'list', items })),
    );
  }
  if (isEnumType(type)) {
    const names = type.getValues().map((value) => value.name);
    const valid = fc.constantFrom(...names);
    return nullable(
      (wild
        ? fc.oneof(
            { weight: 6, arbitrary: valid },
            {
              weight: 1,
              arbitrary: fc.constantFrom(
                ...names.map((value) => value.toLowerCase()),
                'NOPE',
                '',
                'null',
                'ÉNUM',
              ),
            },
            { weight: 1, arbitrary: oddString },
          )
        : valid
      ).map((value): Value => ({ kind: 'enum', value })),
    );
  }
  if (isInputObjectType(type)) {
    if (depth > 4) return fc.constant(nullValue);
    const fields = Object.values(type.getFields()).map((field) => {
      const required = isNonNullType(field.type);
      const value = valueFor(field.type, field.name, depth + 1, temper);
      const omitted = fc.constant(undefined);
      return fc
        .tuple(
          fc.constant(field.name),
          required && !wild
            ? value
            : fc.oneof(
                { weight: required ? 40 : 3, arbitrary: value },
                { weight: 1, arbitrary: omitted },
              ),
        )
        .map(([fieldName, present]) =>
          present === undefined ? [] : [[fieldName, present] as [string, Value]],
        );
    });
    const extra = fc.oneof(
      { weight: 15, arbitrary: fc.constant([] as [string, Value][]) },
      {
        weight: wild ? 1 : 0,
        arbitrary: fc
          .tuple(fc.constantFrom('extra', 'id', 'orgId', '__typename', 'organizationId'), anyValue)
          .map(([fieldName, value]) => [[fieldName, value] as [string, Value]]),
      },
    );
    return nullable(
      fc.tuple(fc.tuple(...fields), extra).map(([present, more]): Value => ({
        kind: 'object',
        fields: [...present.flat(), ...more],
      })),
    );
  }
  switch (getNamedType(type).name) {
    case 'Int':
      return nullable(wild ? intValue : tameInt);
    case 'Float':
      return nullable(wild ? floatValue : tameFloatFor(name));
    case 'Boolean':
      return nullable(fc.boolean().map((value): Value => ({ kind: 'boolean', value })));
    case 'ID':
      return nullable(idValue(temper));
    case 'DateTime':
      return nullable(wild ? dateTimeValue : tameDateTime);
    case 'MetricValue':
      return wild ? metricValue : tameMetricValue;
    case 'String':
      return nullable(stringFor(name, temper).map(str));
    default:
      throw new Error(`no generator for the input type ${String(type)}: add one`);
  }
}

/** Strings no store can hold as text. */
const unstorableString = fc
  .tuple(
    fc.constantFrom('', 'a', 'north'),
    fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d'),
    fc.constantFrom('', 'b', '😀'),
  )
  .map(([before, bad, after]) => before + bad + after);

/** How many string values `value` holds. */
function stringLeaves(value: Value): number {
  if (value.kind === 'string') return 1;
  if (value.kind === 'list') return value.items.reduce((sum, item) => sum + stringLeaves(item), 0);
  if (value.kind === 'object') {
    return value.fields.reduce((sum, [, field]) => sum + stringLeaves(field), 0);
  }
  return 0;
}

/** `value` with its `index`th string value (depth first) replaced by `text`. */
function replaceLeaf(value: Value, index: number, text: string): Value {
  let left = index;
  const walk = (node: Value): Value => {
    if (node.kind === 'string') return left-- === 0 ? str(text) : node;
    if (node.kind === 'list') return { kind: 'list', items: node.items.map(walk) };
    if (node.kind === 'object') {
      return { kind: 'object', fields: node.fields.map(([name, field]) => [name, walk(field)]) };
    }
    return node;
  };
  return walk(value);
}

// ---------------------------------------------------------------------------------------------
// Operations.

/** A field to fuzz: its arguments, and where it sits in a document. */
interface Target {
  /** `Query.devices`, `Device.telemetry`. */
  name: string;
  operation: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
  /** Wraps the field's selection for fields below the root (`device(id: …) { … }`). */
  wrap?: (inner: string) => string;
}

/** Leaf fields, and object fields down to `depth`, leaving out fields that need arguments. */
function selectionFor(type: GraphQLNamedType, depth: number): string {
  if (isLeafType(type)) return '';
  const object = type as GraphQLObjectType;
  const fields = Object.values(object.getFields()).flatMap((field) => {
    if (field.args.some(isRequiredArgument)) return [];
    const named = getNamedType(field.type);
    if (isLeafType(named)) return [field.name];
    if (depth <= 0 || !isObjectType(named)) return [];
    return [`${field.name} { ${selectionFor(named, depth - 1)} }`];
  });
  return ['__typename', ...fields].join(' ');
}

type Mode = 'variables' | 'inline';

interface Operation {
  target: string;
  args: [GraphQLArgument, Value][];
  style: LiteralStyle;
}

function documentFor(
  target: Target,
  operation: Operation,
  mode: Mode,
): {
  query: string;
  variables: string;
} {
  const named = getNamedType(target.field.type);
  const selection = isLeafType(named) ? '' : ` { ${selectionFor(named, 3)} }`;
  const args = operation.args.map(([arg, value]) =>
    mode === 'variables'
      ? `${arg.name}: $${arg.name}`
      : `${arg.name}: ${asLiteral(value, operation.style)}`,
  );
  const call = `${target.field.name}${args.length > 0 ? `(${args.join(', ')})` : ''}${selection}`;
  const body = target.wrap ? target.wrap(call) : call;
  const declarations =
    mode === 'variables' && operation.args.length > 0
      ? `(${operation.args.map(([arg]) => `$${arg.name}: ${String(arg.type)}`).join(', ')})`
      : '';
  const variables =
    mode === 'variables'
      ? `{${operation.args.map(([arg, value]) => `${JSON.stringify(arg.name)}:${asJson(value)}`).join(',')}}`
      : '{}';
  return { query: `${target.operation} Fuzz${declarations} { ${body} }`, variables };
}

function operationArbitrary(target: Target): fc.Arbitrary<Operation> {
  const argsOf = (temper: Temper) =>
    fc.tuple(
      ...target.field.args.map((arg) => {
        const value = valueFor(arg.type, arg.name, 0, temper);
        const omitted = fc.constant(undefined);
        const required = isRequiredArgument(arg);
        return (
          required && temper === 'tame'
            ? value
            : fc.oneof(
                { weight: required ? 30 : 1, arbitrary: value },
                // A tame operation leaves out more of its optional arguments (first and last,
                // after and before together are refused by the resolvers).
                { weight: temper === 'tame' ? 2 : 1, arbitrary: omitted },
              )
        ).map((present) =>
          present === undefined ? [] : [[arg, present] as [GraphQLArgument, Value]],
        );
      }),
    );
  // A tame operation with one of its strings made unstorable: NUL or a lone surrogate.
  const poisoned = fc
    .tuple(argsOf('tame'), fc.nat(), unstorableString)
    .map(([present, at, bad]) => {
      const leaves = present.flat().reduce((count, [, value]) => count + stringLeaves(value), 0);
      if (leaves === 0) return present;
      let index = at % leaves;
      return present.map((list) =>
        list.map(([arg, value]): [GraphQLArgument, Value] => {
          const count = stringLeaves(value);
          const replaced = index >= 0 && index < count ? replaceLeaf(value, index, bad) : value;
          index -= count;
          return [arg, replaced];
        }),
      );
    });
  const args = fc.oneof(
    { weight: 2, arbitrary: argsOf('wild') },
    { weight: 3, arbitrary: argsOf('tame') },
    { weight: 1, arbitrary: poisoned },
  );
  return fc
    .tuple(args, fc.constantFrom<LiteralStyle>('print', 'print', 'escaped', 'block'))
    .map(([present, style]) => {
      const operation: Operation = { target: target.name, args: present.flat(), style };
      // fast-check prints a counterexample with this: both documents, escapes visible.
      Object.defineProperty(operation, fc.toStringMethod, {
        value: () => {
          const variables = documentFor(target, operation, 'variables');
          const inline = documentFor(target, operation, 'inline');
          return `${target.name}\n  variables: ${visible(variables.query, 2_000)}\n  with ${visible(variables.variables, 2_000)}\n  inline: ${visible(inline.query, 2_000)}`;
        },
      });
      return operation;
    });
}

// ---------------------------------------------------------------------------------------------
// Sending, and judging the answers.

interface GraphQLErrorBody {
  message?: unknown;
  extensions?: { code?: unknown };
  path?: unknown;
}

/** Fails unless every error carries a code other than INTERNAL_SERVER_ERROR. */
/** Per target and way of sending: how often it was answered with data, or refused with a code. */
const outcomes = new Map<string, Map<string, number>>();

function record(where: string, outcome: string) {
  const counts = outcomes.get(where) ?? new Map<string, number>();
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  outcomes.set(where, counts);
}

function checkErrors(errors: unknown, where: string, hint: string) {
  const codes = Array.isArray(errors)
    ? [...new Set((errors as GraphQLErrorBody[]).map((error) => String(error.extensions?.code)))]
    : [];
  record(where, codes.length > 0 ? codes.join('+') : 'answered');
  if (errors === undefined) return;
  if (!Array.isArray(errors)) throw new Violation(`${where}: errors is not a list`, String(errors));
  for (const error of errors as GraphQLErrorBody[]) {
    const code = error.extensions?.code;
    const message = typeof error.message === 'string' ? error.message : '';
    const detail = `${visible(JSON.stringify(error), 1_000)}`;
    if (typeof code !== 'string' || code === '') {
      throw new Violation(`${where}: error without extensions.code: ${classOf(message)}`, detail);
    }
    if (code === 'INTERNAL_SERVER_ERROR' || message === 'Unexpected error.') {
      throw new Violation(`${where}: ${code} ${classOf(message)} (${hint})`, detail);
    }
  }
}

/**
 * A message with its variable parts (quoted values, numbers) blanked: the failure's class. An
 * error coercing a variable is one class whatever the type that refused the value.
 */
function classOf(message: string): string {
  const variable = /^Variable "\$[^"]*" (got invalid value|of non-null type|of required type)/.exec(
    message,
  );
  if (variable) return `Variable "$…" ${variable[1]} …`;
  return message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/U\+[0-9A-F]{4,6}/g, 'U+XXXX')
    .replace(/\d+/g, 'N')
    .slice(0, 120);
}

async function overHttp(
  query: string,
  variables: string,
  where: string,
  hint: string,
): Promise<void> {
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${app.adminToken}`,
    },
    body: `{"query":${JSON.stringify(query)},"variables":${variables}}`,
  });
  const text = await response.text();
  const seen = `${response.status} ${visible(text, 1_000)}`;
  if (response.status >= 500) throw new Violation(`${where}: HTTP ${response.status}`, seen);
  let body: { errors?: unknown };
  try {
    body = JSON.parse(text) as { errors?: unknown };
  } catch {
    throw new Violation(`${where}: HTTP ${response.status} with a body that is not JSON`, seen);
  }
  checkErrors(body.errors, where, hint);
}

/** How long a subscription that was admitted is held open before it is closed. */
const SUBSCRIPTION_HOLD_MS = 60;

/** Over SSE: reads the stream until an error event, the end, or SUBSCRIPTION_HOLD_MS. */
async function overSse(
  query: string,
  variables: string,
  where: string,
  hint: string,
): Promise<void> {
  const abort = new AbortController();
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${app.adminToken}`,
    },
    body: `{"query":${JSON.stringify(query)},"variables":${variables}}`,
    signal: abort.signal,
  });
  try {
    if (response.status >= 500) {
      throw new Violation(
        `${where}: HTTP ${response.status}`,
        visible(await response.text(), 1_000),
      );
    }
    if (!response.headers.get('content-type')?.includes('text/event-stream')) {
      const text = await response.text();
      let body: { errors?: unknown };
      try {
        body = JSON.parse(text) as { errors?: unknown };
      } catch {
        throw new Violation(`${where}: HTTP ${response.status} with a body that is not JSON`, text);
      }
      checkErrors(body.errors, where, hint);
      return;
    }
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const deadline = Date.now() + SUBSCRIPTION_HOLD_MS;
    let buffer = '';
    let events = 0;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const read = reader.read();
      // Closing the stream below rejects a read still pending: that is expected.
      read.catch(() => undefined);
      const chunk = await Promise.race([
        read,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), left)),
      ]);
      if (!chunk || chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        if (!data) continue;
        const parsed = JSON.parse(data) as { errors?: unknown };
        events++;
        checkErrors(parsed.errors, where, hint);
      }
    }
    if (events === 0) record(where, 'admitted');
  } finally {
    abort.abort();
  }
}

/** Over graphql-ws: the operation's errors, or a close that is not a refusal, are judged. */
async function overWebSocket(
  query: string,
  variables: string,
  where: string,
  hint: string,
): Promise<void> {
  const client = liveClient(app.baseUrl, app.adminToken);
  try {
    const failure = await new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), SUBSCRIPTION_HOLD_MS);
      client.subscribe(
        { query, variables: JSON.parse(variables) as Record<string, unknown> },
        {
          next: (message) => {
            if (message.errors) {
              clearTimeout(timer);
              resolve(message.errors);
            }
          },
          error: (error) => {
            clearTimeout(timer);
            resolve(error);
          },
          complete: () => {
            clearTimeout(timer);
            resolve(undefined);
          },
        },
      );
    });
    if (failure === undefined) return record(where, 'admitted');
    if (Array.isArray(failure)) return checkErrors(failure, where, hint);
    const code = (failure as { code?: unknown }).code;
    const reason = (failure as { reason?: unknown }).reason;
    // 4400 (bad message, e.g. a variable JSON cannot hold), 4403, 4413, 1009 are refusals; 1011
    // and 4500 are the server failing.
    if (typeof code === 'number' && code !== 1011 && code !== 4500) return;
    throw new Violation(
      `${where}: socket closed ${String(code)} ${String(reason)}`,
      visible(String(failure), 500),
    );
  } finally {
    await client.dispose();
  }
}

/**
 * What in an operation could explain a masked error: the unstorable characters among its
 * strings, a list or an object given as a MetricValue, a number that is not finite (1e400) or
 * about the largest double. It tells the classes of INTERNAL_SERVER_ERROR apart, whose message
 * says nothing.
 */
function hintOf(operation: Operation): string {
  const found = new Set<string>();
  const walk = (value: Value, name: string) => {
    if (value.kind === 'string') {
      for (const bad of unstorableCharacters(value.value)) found.add(bad.replace(/ U\+\w+$/, ''));
    }
    // MetricValue inputs: `threshold` of the alert-rule inputs.
    if (name === 'threshold' && (value.kind === 'list' || value.kind === 'object')) {
      found.add(`a MetricValue ${value.kind}`);
    }
    if (value.kind === 'number') {
      const number = Number(value.text);
      if (!Number.isFinite(number)) found.add(`${name}: ${value.text} (not finite)`);
      else if (Math.abs(number) > 1.7976931348623e308) {
        found.add(`${name}: ${value.text} (about the largest double)`);
      }
    }
    if (value.kind === 'list') value.items.forEach((item) => walk(item, name));
    if (value.kind === 'object') value.fields.forEach(([field, inner]) => walk(inner, field));
  };
  operation.args.forEach(([arg, value]) => walk(value, arg.name));
  return found.size > 0 ? [...found].sort().join(', ') : 'nothing odd found';
}

async function send(target: Target, operation: Operation, mode: Mode, transport: string) {
  const { query, variables } = documentFor(target, operation, mode);
  const where = `${target.name} (${mode}${target.operation === 'subscription' ? `, ${transport}` : ''})`;
  const hint = hintOf(operation);
  if (target.operation !== 'subscription') return overHttp(query, variables, where, hint);
  return transport === 'sse'
    ? overSse(query, variables, where, hint)
    : overWebSocket(query, variables, where, hint);
}

// ---------------------------------------------------------------------------------------------

const ROOTS = [
  ['query', schema.getQueryType()],
  ['mutation', schema.getMutationType()],
  ['subscription', schema.getSubscriptionType()],
] as const;

const rootTargets: Target[] = ROOTS.flatMap(([operation, type]) =>
  type
    ? Object.values(type.getFields()).map((field): Target => ({
        name: `${type.name}.${field.name}`,
        operation,
        field,
      }))
    : [],
);

/** Fields with arguments below the roots, each reached through a root field that leads to it. */
const WRAPPERS: Record<string, (inner: string) => string> = {
  Device: (inner) => `device(id: "${real.deviceIds[0]}") { ${inner} }`,
};
const rootTypes = new Set(ROOTS.map(([, type]) => type?.name));
const nestedTargets: Target[] = Object.values(schema.getTypeMap()).flatMap((type) =>
  isObjectType(type) && !rootTypes.has(type.name) && !type.name.startsWith('__')
    ? Object.values(type.getFields())
        .filter((field) => field.args.length > 0)
        .map((field): Target => ({
          name: `${type.name}.${field.name}`,
          operation: 'query',
          field,
          wrap: (inner) => {
            const wrap = WRAPPERS[type.name];
            if (!wrap)
              throw new Error(`no root field leads to ${type.name}.${field.name}: add one`);
            return wrap(inner);
          },
        }))
    : [],
);

// ---------------------------------------------------------------------------------------------
// Raw requests: the HTTP surface itself (body, media type, method), below any argument.

/** Documents that are valid, cut short, or with junk spliced in. */
const VALID_DOCUMENTS = [
  '{ devices(first: 2) { edges { cursor node { id name latest { metric value ts } } } } }',
  'query Q($id: ID!) { device(id: $id) { id name } }',
  'mutation { disableDevice(id: "x") { id } }',
  'subscription { alerts { status } }',
  '{ alertRules { id threshold } apiKeys { id } }',
  'query A { __typename } query B { __typename }',
  '{ __schema { types { name } } }',
  '{ ...F } fragment F on Query { __typename }',
  '{ devices @include(if: true) { pageInfo { hasNextPage } } }',
];
const TOKENS = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '$',
  '...',
  '@include',
  '@skip(if: $x)',
  '#',
  ':',
  '=',
  '|',
  '&',
  '!',
  'query',
  'mutation',
  'subscription',
  'fragment',
  'on',
  'devices',
  'device',
  'id',
  '"',
  '"""',
  '"\\u0000"',
  '"\\uD800"',
  '"\\u{110000}"',
  '1e400',
  '-0',
  '0x1',
  'null',
  'true',
  '__typename',
  '__schema',
  '\u0000',
  '\ud800',
  '\ufeff',
  '😀',
  '\u2028',
  ',',
  ' ',
  '\n',
];
const documentText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...VALID_DOCUMENTS),
  fc
    .tuple(fc.constantFrom(...VALID_DOCUMENTS), fc.nat(), fc.constantFrom('', ...TOKENS))
    .map(([text, at, junk]) => {
      const cut = at % (text.length + 1);
      return text.slice(0, cut) + junk + (junk === '' ? '' : text.slice(cut));
    }),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }).map((tokens) => tokens.join(' ')),
  oddString,
  fc.constantFrom('', ' ', '{', '{'.repeat(2_000), `{ ${'a '.repeat(3_000)}}`),
);

interface RawRequest {
  method: 'POST' | 'GET' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH';
  contentType: string | undefined;
  accept: string | undefined;
  search: string;
  body: Buffer | undefined;
}

const jsonText = (value: unknown) => JSON.stringify(value) ?? 'null';

const rawBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          query: fc.oneof(
            { weight: 6, arbitrary: documentText },
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
          ),
          variables: fc.oneof(
            fc.constant({ id: 'x' }),
            fc.jsonValue({ maxDepth: 2 }),
            fc.constantFrom('{"id":"x"}', '', 'null'),
          ),
          operationName: fc.oneof(
            fc.constantFrom('Q', 'A', 'B', 'Nope', ''),
            oddString,
            fc.integer(),
          ),
          extensions: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: ['query'] },
      )
      .map(jsonText),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(jsonText) },
  {
    weight: 1,
    arbitrary: fc.array(fc.record({ query: documentText }), { maxLength: 3 }).map(jsonText),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '{',
      '{"query":',
      '{"query":"{ __typename }"',
      '{"query":"{ __typename }"}}',
      '{"query":"{ __typename }","variables":{"a":1e400}}',
      '{"query":"{ __typename }","variables":NaN}',
      "{'query':'{ __typename }'}",
      '\ufeff{"query":"{ __typename }"}',
      '{"query":"\\ud800"}',
      '{"query":"\\u0000"}',
      '{"__proto__":{"query":"{ __typename }"}}',
      '{"query":"{ __typename }","query":"{ devices { pageInfo { hasNextPage } } }"}',
    ),
  },
  { weight: 1, arbitrary: oddString },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
);

const rawRequest: fc.Arbitrary<RawRequest> = fc
  .record({
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant<RawRequest['method']>('POST') },
      { weight: 2, arbitrary: fc.constant<RawRequest['method']>('GET') },
      {
        weight: 1,
        arbitrary: fc.constantFrom<RawRequest['method']>('PUT', 'DELETE', 'OPTIONS', 'PATCH'),
      },
    ),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant<string | undefined>('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          undefined,
          'application/json; charset=utf-8',
          'application/json; charset=latin1',
          'application/graphql',
          'application/graphql+json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'APPLICATION/JSON',
        ),
      },
    ),
    accept: fc.constantFrom(
      undefined,
      'application/json',
      'application/graphql-response+json',
      'text/event-stream',
      'multipart/mixed',
      'text/html',
      '*/*',
    ),
    query: fc.tuple(documentText, fc.oneof(fc.constant(''), fc.jsonValue().map(jsonText))),
    body: rawBody,
  })
  .map(({ method, contentType, accept, query: [document, variables], body }) => {
    const get = method === 'GET';
    const search = get
      ? `?${new URLSearchParams({ query: document, ...(variables ? { variables } : {}) }).toString()}`
      : '';
    const value: RawRequest = {
      method,
      contentType: get ? undefined : contentType,
      accept,
      search,
      body: get ? undefined : typeof body === 'string' ? Buffer.from(body) : body,
    };
    Object.defineProperty(value, fc.toStringMethod, {
      value: () =>
        `${method} /graphql${visible(search, 1_000)} [${value.contentType ?? 'no content-type'}, accept ${accept ?? '-'}] ${value.body ? visible(value.body.toString(), 1_000) : ''}`,
    });
    return value;
  });

/** Sends a raw request; the same judgement as for any other answer. */
async function sendRaw(request: RawRequest): Promise<void> {
  const headers: Record<string, string> = { authorization: `Bearer ${app.adminToken}` };
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  if (request.accept !== undefined) headers.accept = request.accept;
  const abort = new AbortController();
  // A subscription answered as a stream is held open by the server: read a moment, then close.
  const timer = setTimeout(() => abort.abort(), 1_000);
  const where = `raw ${request.method}`;
  try {
    const response = await fetch(`${app.baseUrl}/graphql${request.search}`, {
      method: request.method,
      headers,
      body: request.body ? new Uint8Array(request.body) : undefined,
      signal: abort.signal,
    });
    if (response.status >= 500) {
      throw new Violation(
        `${where}: HTTP ${response.status}`,
        visible(await response.text(), 1_000),
      );
    }
    const type = response.headers.get('content-type') ?? '';
    const text = await response.text();
    // The JSON results: the body, each SSE `data:`, or each part of a multipart/mixed answer.
    const results = type.includes('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data:') && line.slice(5).trim() !== '')
          .map((line) => line.slice(5).trim())
      : type.includes('multipart/mixed')
        ? text.split('\n').filter((line) => line.trimStart().startsWith('{'))
        : type.includes('json')
          ? [text]
          : [];
    for (const result of results) {
      let body: { errors?: unknown };
      try {
        body = JSON.parse(result) as { errors?: unknown };
      } catch {
        throw new Violation(`${where}: HTTP ${response.status} ${type} that is not JSON`, result);
      }
      checkErrors(body.errors, where, 'raw request');
    }
  } catch (error) {
    if (abort.signal.aborted && !(error instanceof Violation)) return;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const QUERY_RUNS = fuzzRuns(60, 0.2);
const SUBSCRIPTION_RUNS = fuzzRuns(12, 0.05);

afterAll(() => {
  // What the run reached: data from the resolvers, and each code refusals came with.
  const lines = [...outcomes.entries()].map(
    ([where, counts]) => `  ${where}: ${JSON.stringify(Object.fromEntries(counts))}`,
  );
  console.info(`GraphQL fuzz outcomes:\n${lines.join('\n')}`);
});

describe('GraphQL fuzzing', () => {
  it('finds every root field, and the fields with arguments below them', () => {
    expect(rootTargets.map((target) => target.name)).toEqual(
      expect.arrayContaining(['Query.device', 'Mutation.registerDevice', 'Subscription.telemetry']),
    );
    expect(nestedTargets.map((target) => target.name).sort()).toEqual([
      'Device.rawTelemetry',
      'Device.telemetry',
    ]);
  });

  for (const target of [...rootTargets, ...nestedTargets]) {
    const runs = target.operation === 'subscription' ? SUBSCRIPTION_RUNS : QUERY_RUNS;
    const perRun = target.operation === 'subscription' ? 4 * SUBSCRIPTION_HOLD_MS : 40;
    it(
      `${target.name}: every answer is < 500 and every error has a code other than INTERNAL_SERVER_ERROR`,
      async () => {
        await fuzz(
          target.name,
          fc.tuple(operationArbitrary(target), fc.constantFrom('sse', 'ws'), fc.boolean()),
          async ([operation, transport, inlineFirst]) => {
            // Either may go first: a mutation sent twice (registerDevice with one externalId)
            // succeeds only the first time.
            const modes: Mode[] = inlineFirst ? ['inline', 'variables'] : ['variables', 'inline'];
            await allOf(modes.map((mode) => () => send(target, operation, mode, transport)));
          },
          runs,
        );
      },
      fuzzTimeout(runs, perRun),
    );
  }

  const rawRuns = fuzzRuns(300, 0.5);
  it(
    'raw requests (any body, media type, method): every answer is < 500, every error has a code',
    async () => {
      await fuzz('raw requests', rawRequest, sendRaw, rawRuns);
    },
    fuzzTimeout(rawRuns, 20),
  );

  it('still answers a normal query, and the pipeline still stores a fresh point', async () => {
    const gql = createGraphQLClient(app.baseUrl, app.adminToken);
    const page = await expectData(gql(DevicesDocument, { first: 5 }));
    expect(page.devices.edges.length).toBeGreaterThan(0);
    // A device of its own: the fuzzer may have disabled the others or rotated their tokens.
    const { registerDevice } = await expectData(
      gql(RegisterDeviceDocument, {
        input: { externalId: 'fuzz-after', name: 'After the fuzzing', type: 'thermostat' },
      }),
    );
    const ts = Date.now();
    const posted = await postTelemetry(
      app.baseUrl,
      registerDevice.token,
      JSON.stringify({ ts, metrics: { fuzz_fresh: 7.25 } }),
    );
    expect(posted.status).toBe(202);
    const reading = await eventually(
      async () => {
        const data = await expectData(gql(DeviceLatestDocument, { id: registerDevice.device.id }));
        return data.device.latest.find((entry) => entry.metric === 'fuzz_fresh');
      },
      10_000,
      'the fresh point in Device.latest',
    );
    expect(reading.value).toBe(7.25);
  });
});
