/**
 * Property-based fuzzing of the ingest endpoint (issue 7), on the real embedded app on port 0:
 * fast-check builds request bodies (one point, arrays, NDJSON, gzip; malformed JSON, wrong
 * shapes, invalid UTF-8 bytes; strings of every odd character class, metric names of all kinds,
 * extreme numbers written as raw JSON text, timestamps at every edge, deep nesting, ~100 metrics,
 * many points, bodies over the limits) and posts them to `/v1/telemetry` with a device token.
 *
 * Properties:
 * - every answer is 202 or a documented 4xx (README "Ingest API") with a JSON body carrying the
 *   status's `code`; never a 5xx, never a body that is not JSON;
 * - a point holding NUL or a lone surrogate in a string is refused with 400 naming the item and
 *   field (never 202: such strings cannot be stored as text);
 * - a well-formed body (legal names, values and timestamps) is accepted whole;
 * - afterwards the pipeline still stores a fresh point within seconds.
 *
 * The default run is sized for CI (both fuzz suites together well under a minute: 800 bodies,
 * 150 of each targeted kind). A longer run:
 *   FUZZ_RUNS=2000 npx vitest run test/fuzz
 * (2,000 bodies, 500 of each targeted kind). A failure prints fast-check's counterexample, the
 * raw body with its escapes visible, with its seed and path; replay it with
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/ingest.fuzz.test.ts -t '<test>'
 * FUZZ_SURVEY=1 runs every property to the end and lists each distinct failure class once, with
 * a counterexample, instead of stopping at the first.
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DeviceLatestDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import { createGraphQLClient, eventually, expectData } from '../support/graphql-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import {
  fuzz,
  fuzzRuns,
  fuzzTimeout,
  oddString,
  unstorableCharacters,
  Violation,
  visible,
} from './fuzz-support.js';

/** Low limits, so that the fuzzer reaches both sides of each cheaply. */
const MAX_POINTS = 300;
const MAX_BODY_BYTES = 200_000;
const MAX_METRICS = 100;
const MAX_STRING = 256;
const DAY = 86_400_000;
const YEAR = 365 * DAY;

const app = useEmbeddedApp({
  // The fuzzer must reach the parser, not the rate limiter.
  RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
  RATE_LIMIT_DEVICE_BURST: '1000000',
  RATE_LIMIT_USER_PER_SECOND: '1000000',
  RATE_LIMIT_USER_BURST: '1000000',
  INGEST_MAX_POINTS: String(MAX_POINTS),
  INGEST_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
});

let device: { id: string; token: string };

beforeAll(async () => {
  const gql = createGraphQLClient(app.baseUrl, app.adminToken);
  const data = await expectData(
    gql(RegisterDeviceDocument, {
      input: { externalId: 'fuzz-ingest', name: 'Fuzzed', type: 'fuzzer' },
    }),
  );
  device = { id: data.registerDevice.device.id, token: data.registerDevice.token };
});

// ---------------------------------------------------------------------------------------------
// Raw JSON text, written by hand where JSON.stringify cannot express the case.

type StringMode = 'stringify' | 'escaped' | 'raw';
const stringMode = fc.constantFrom<StringMode>('stringify', 'escaped', 'raw');

/**
 * A JSON string literal: `stringify` as JSON.stringify writes it (lone surrogates and controls
 * escaped), `escaped` with every unit outside printable ASCII as \uXXXX (upper-case hex), `raw`
 * with only what JSON requires escaped (a lone surrogate then reaches the wire as U+FFFD).
 */
function jsonString(text: string, mode: StringMode): string {
  if (mode === 'stringify') return JSON.stringify(text);
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code < 0x20 || (mode === 'escaped' && code >= 0x7f)) {
      out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    } else out += text[i];
  }
  return `${out}"`;
}

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
const valueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: numberText },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null', 'TRUE', 'True', 'nul') },
  {
    weight: 5,
    arbitrary: fc.tuple(oddString, stringMode).map(([text, mode]) => jsonString(text, mode)),
  },
  { weight: 1, arbitrary: nestedText },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
);

const validName = fc
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

const nameText = fc.tuple(metricName, stringMode).map(([name, mode]) => jsonString(name, mode));

/** `{"name": value, …}` as raw text: few metrics, or around the 100 limit, duplicate keys too. */
const metricsText: fc.Arbitrary<string> = fc.oneof(
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

/** Options of an RFC 3339 rendering. */
interface Rfc3339Style {
  offsetMinutes: number;
  fractionDigits: number;
  separator: 'T' | 't' | ' ';
  zulu: 'Z' | 'z' | '+00:00' | '-00:00';
}

const rfc3339Style: fc.Arbitrary<Rfc3339Style> = fc.record({
  offsetMinutes: fc.oneof(
    fc.constant(0),
    fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
    fc.constantFrom(330, -570, 345, 14 * 60, -12 * 60),
  ),
  fractionDigits: fc.constantFrom(0, 0, 1, 3, 6, 9, 12),
  separator: fc.constantFrom('T', 'T', 't', ' '),
  zulu: fc.constantFrom('Z', 'Z', 'z', '+00:00', '-00:00'),
});

/** `ms` in RFC 3339, in the given offset and style; years 0000–9999 only. */
function rfc3339(ms: number, style: Rfc3339Style): string {
  const local = new Date(ms + style.offsetMinutes * 60_000);
  const iso = local.toISOString();
  const base = `${iso.slice(0, 10)}${style.separator}${iso.slice(11, 19)}`;
  const fraction =
    style.fractionDigits === 0
      ? ''
      : `.${`${iso.slice(20, 23)}987654321`.slice(0, style.fractionDigits)}`;
  const minutes = Math.abs(style.offsetMinutes);
  const zone =
    style.offsetMinutes === 0
      ? style.zulu
      : `${style.offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return `${base}${fraction}${zone}`;
}

/** `ts` values at every edge, as raw JSON text (computed when generated, relative to now). */
const tsText: fc.Arbitrary<string> = fc.oneof(
  // epoch ms around now: past decades up to 2 days ahead (the limit is 24 h ahead).
  fc.integer({ min: -50 * YEAR, max: 2 * DAY }).map((offset) => String(Date.now() + offset)),
  // around the 24 h boundary, both sides.
  fc.integer({ min: -120_000, max: 120_000 }).map((offset) => String(Date.now() + DAY + offset)),
  fc.constantFrom(
    '0',
    '-0',
    '-1',
    '1',
    '-1e15',
    '1e12',
    '1.7e12',
    '1.7645e12',
    '1764000000000.5',
    '1764000000000.0',
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '8.64e15',
    '8.64e15',
    '1e400',
    '-1e400',
    'NaN',
    'Infinity',
    'null',
    'true',
    '[]',
    '{}',
    '""',
    '[1764000000000]',
    '"1764000000000"',
  ),
  // RFC 3339 renderings from 1970 to two days ahead, in every allowed style.
  fc
    .tuple(fc.integer({ min: -56 * YEAR, max: 2 * DAY }), rfc3339Style)
    .map(([offset, style]) => JSON.stringify(rfc3339(Math.max(0, Date.now() + offset), style))),
  fc
    .tuple(fc.integer({ min: -120_000, max: 120_000 }), rfc3339Style)
    .map(([offset, style]) => JSON.stringify(rfc3339(Date.now() + DAY + offset, style))),
  // Strings that look like dates.
  fc
    .constantFrom(
      '1970-01-01T00:00:00Z',
      '1970-01-01T00:00:00.000+00:00',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T01:00:00+01:00',
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '2024-02-29T12:00:00Z',
      '2026-02-29T12:00:00Z',
      '2026-02-30T12:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T23:60:00Z',
      '2016-12-31T23:59:60Z',
      '2026-01-01T23:59:61Z',
      '2026-01-01',
      '2026-01-01T00:00:00',
      '2026-01-01T00:00Z',
      '2026-01-01T00:00:00+2:00',
      '2026-01-01T00:00:00+0200',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01T00:00:00+23:60',
      '2026-01-01T00:00:00.Z',
      '2026-01-01T00:00:00,5Z',
      '2026-01-01T00:00:00.1234567890123456789Z',
      '2026-01-01T00:00:00ZZ',
      '2026-01-01T00:00:00Z ',
      ' 2026-01-01T00:00:00Z',
      '+002026-01-01T00:00:00Z',
      '-000001-01-01T00:00:00Z',
      '2026-W01-1T00:00:00Z',
      'Mon, 24 Nov 2026 12:00:00 GMT',
      'Tue Nov 24 2026 12:00:00 GMT+0000',
      '1764000000000',
      'now',
      'Infinity',
      '１９７０-01-01T00:00:00Z',
      '2026-01-01T00:00:00\u0000Z',
      '2026-01-01T00:00:00Z\u0000',
      '2026-01-01T00:00:00\ud800',
    )
    .chain((text) => stringMode.map((mode) => jsonString(text, mode))),
  fc.tuple(oddString, stringMode).map(([text, mode]) => jsonString(text, mode)),
);

const whitespace = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n', '  \n ');

/** One point as raw JSON text: mostly `{ts?, metrics}`, with extra keys, or any JSON at all. */
const pointText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .record({
        ts: fc.option(tsText, { nil: undefined }),
        metrics: fc.option(metricsText, { freq: 10, nil: undefined }),
        extra: fc.option(fc.tuple(nameText, valueText), { freq: 6, nil: undefined }),
        tsFirst: fc.boolean(),
        space: whitespace,
      })
      .map(({ ts, metrics, extra, tsFirst, space }) => {
        const entries = [
          ...(ts === undefined ? [] : [`"ts":${space}${ts}`]),
          ...(metrics === undefined ? [] : [`"metrics":${space}${metrics}`]),
        ];
        if (!tsFirst) entries.reverse();
        if (extra) entries.push(`${extra[0]}:${extra[1]}`);
        return `{${space}${entries.join(`,${space}`)}${space}}`;
      }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'null',
      '[]',
      '{}',
      '"x"',
      '42',
      'true',
      '[{"metrics":{"a":1}}]',
      '{"metrics":{"a":1}',
      '{"metrics":{"a":1}}}',
      '{"metrics":{"a":1},}',
      "{'metrics':{'a':1}}",
      '{metrics:{a:1}}',
      '{"metrics":{"a":1}} {"metrics":{"a":2}}',
      '\ufeff{"metrics":{"a":1}}',
      '{"metrics":{"a":1}}\u0000',
      '{"metrics":{"a":"\u0000"}}',
      '{"metrics":{"a":"\u001f"}}',
      '{"metrics":{"a":"\\x41"}}',
      '{"metrics":{"a":"\\u12"}}',
      '{"metrics":{"a":"\\ud800"}}',
      '{"metrics":{"a":"\\udc00x"}}',
      '{"metrics":{"a":"x\\ud83d"}}',
      '{"metrics":{"a":"\\ude00\\ud83d"}}',
      '{"metrics":{"a\\u0000":1}}',
      '{"metrics":{"\\ud800":1}}',
    ),
  },
);

/** A request: the bytes sent, the headers, and what the body is (for reports). */
interface IngestRequest {
  shape: string;
  contentType: string | undefined;
  contentEncoding?: string;
  body: Buffer;
}

function describeRequest(request: IngestRequest): string {
  const text = request.contentEncoding ? '(gzip)' : visible(request.body.toString(), 600);
  return `${request.shape} [${request.contentType ?? 'no content-type'}${
    request.contentEncoding ? `, ${request.contentEncoding}` : ''
  }] ${request.body.length} bytes: ${text}`;
}

function request(
  shape: string,
  body: Buffer | string,
  contentType: string | undefined,
  contentEncoding?: string,
): IngestRequest {
  const value: IngestRequest = {
    shape,
    contentType,
    ...(contentEncoding ? { contentEncoding } : {}),
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
  // fast-check prints counterexamples with this: the raw body, escapes visible.
  Object.defineProperty(value, fc.toStringMethod, { value: () => describeRequest(value) });
  return value;
}

const jsonType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'Application/JSON',
      ' application/json ;charset=latin1',
    ),
  },
);
const ndjsonType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/x-ndjson') },
  { weight: 1, arbitrary: fc.constantFrom('APPLICATION/X-NDJSON; charset=utf-8') },
);
/** Sometimes the wrong media type: 415, whatever the body. */
const oddType = fc.constantFrom(
  undefined,
  '',
  'text/plain',
  'application/jsonx',
  'application/ndjson',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'json',
  '*/*',
);

function typed(shape: string, format: 'json' | 'ndjson', body: fc.Arbitrary<string | Buffer>) {
  return fc
    .tuple(
      body,
      fc.oneof({ weight: 15, arbitrary: format === 'json' ? jsonType : ndjsonType }, oddType),
    )
    .map(([text, contentType]) => request(shape, text, contentType));
}

const ndjsonLines = fc
  .tuple(
    fc.array(pointText, { maxLength: 8 }),
    fc.constantFrom('\n', '\r\n', '\n\n', '\n \t\n'),
    fc.constantFrom('', '\n', '\r\n', '\n\n'),
  )
  .map(([lines, separator, trailer]) => lines.join(separator) + trailer);

const arrayText = fc
  .tuple(fc.array(pointText, { maxLength: 8 }), whitespace)
  .map(([points, space]) => `[${space}${points.join(`,${space}`)}${space}]`);

/** Around the points limit: one point repeated, each copy with its own ts or none. */
const manyPoints = fc
  .tuple(
    fc.integer({ min: 1, max: MAX_POINTS + 20 }),
    // Small enough to repeat (a deeply nested value copied 300 times would not fit a string).
    metricsText.map((metrics) => (metrics.length > 2_000 ? '{"big":1}' : metrics)),
    fc.boolean(),
    fc.constantFrom<'json' | 'ndjson'>('json', 'ndjson'),
  )
  .map(([count, metrics, withTs, format]) => {
    const base = Date.now() - DAY;
    const points = Array.from({ length: count }, (_, i) =>
      withTs ? `{"ts":${base + i},"metrics":${metrics}}` : `{"metrics":${metrics}}`,
    );
    return format === 'json'
      ? request(`${count} points (json)`, `[${points.join(',')}]`, 'application/json')
      : request(`${count} points (ndjson)`, points.join('\n'), 'application/x-ndjson');
  });

/** A well-formed body cut short, or with junk spliced in. */
const malformed = fc
  .tuple(
    fc.oneof(arrayText, pointText, ndjsonLines),
    fc.nat(),
    fc.constantFrom('', ',', ']', '}', '"', '\\', '\u0000', 'NaN', '\ufeff', '{'),
    fc.boolean(),
  )
  .map(([text, at, junk, ndjson]) => {
    const cut = text.length === 0 ? 0 : at % text.length;
    return request(
      'malformed',
      text.slice(0, cut) + junk + (junk === '' ? '' : text.slice(cut)),
      ndjson ? 'application/x-ndjson' : 'application/json',
    );
  });

/** Bytes that are not UTF-8: random, or a body with invalid sequences spliced in. */
const invalidUtf8 = fc.oneof(
  fc
    .tuple(fc.uint8Array({ maxLength: 256 }), fc.boolean())
    .map(([bytes, ndjson]) =>
      request(
        'random bytes',
        Buffer.from(bytes),
        ndjson ? 'application/x-ndjson' : 'application/json',
      ),
    ),
  fc
    .tuple(
      fc.constantFrom(
        [0xff],
        [0xc0, 0x80],
        [0xc3],
        [0xe2, 0x82],
        [0xed, 0xa0, 0x80],
        [0xed, 0xbf, 0xbf],
        [0xf4, 0x90, 0x80, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xfe, 0xff],
        [0xef, 0xbb, 0xbf],
      ),
      fc.nat(),
      fc.boolean(),
    )
    .map(([bytes, at, insideString]) => {
      const prefix = '{"metrics":{"label":"';
      const suffix = '"}}';
      const body = insideString
        ? Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)])
        : (() => {
            const text = Buffer.from(`${prefix}x${suffix}`);
            const cut = at % (text.length + 1);
            return Buffer.concat([text.subarray(0, cut), Buffer.from(bytes), text.subarray(cut)]);
          })();
      return request('invalid UTF-8', body, 'application/json');
    }),
);

/** Bodies around the byte limit: a valid point padded with whitespace, or a huge string. */
const nearByteLimit = fc
  .tuple(fc.integer({ min: -200, max: 200 }), fc.boolean(), fc.boolean())
  .map(([delta, padding, ndjson]) => {
    const point = '{"metrics":{"padded":1}}';
    const size = MAX_BODY_BYTES + delta;
    const text = padding
      ? point + ' '.repeat(Math.max(0, size - point.length))
      : `{"metrics":{"big":"${'x'.repeat(Math.max(0, size - 21))}"}}`;
    return request(
      `${Buffer.byteLength(text)} bytes`,
      text,
      ndjson ? 'application/x-ndjson' : 'application/json',
    );
  });

/** Compressed bodies: a gzip of any body, a gzip bomb past the limit, or bytes that are not gzip. */
const gzipped = fc.oneof(
  fc
    .tuple(fc.oneof(arrayText, pointText), fc.constantFrom('gzip', 'x-gzip', 'GZIP'))
    .map(([text, coding]) =>
      request(
        `gzip: ${visible(text, 200)}`,
        gzipSync(Buffer.from(text)),
        'application/json',
        coding,
      ),
    ),
  fc
    .constantFrom(MAX_BODY_BYTES - 10, MAX_BODY_BYTES + 10, 5_000_000)
    .map((size) =>
      request(
        `gzip of ${size} bytes`,
        gzipSync(Buffer.from(`{"metrics":{"a":1}}${' '.repeat(size - 19)}`)),
        'application/json',
        'gzip',
      ),
    ),
  fc
    .tuple(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x'),
    )
    .map(([bytes, coding]) => request('not gzip', Buffer.from(bytes), 'application/json', coding)),
);

// ---------------------------------------------------------------------------------------------
// Well-formed points, for the oracle properties.

/** Characters a string value may hold: printable, astral, RTL, BOM, combining marks. */
const legalCharacter = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '😀',
      '👨‍👩‍👧',
      '𝔘',
      '\u{10fffd}',
      '中',
      'ع',
      'é',
      'e\u0301',
      '\u200e',
      '\u200f',
      '\u202e',
      '\ufeff',
      '\u00a0',
      '\u2028',
      '"',
      '\\',
      '\ufffd',
    ),
  },
);

const legalString = fc.oneof(
  fc.array(legalCharacter, { maxLength: 20 }).map((parts) => parts.join('')),
  fc
    .tuple(
      fc.constantFrom('a', '😀', '中', '\u200f'),
      fc.integer({ min: MAX_STRING - 3, max: MAX_STRING }),
    )
    .map(([unit, count]) => unit.repeat(count)),
);

/** A legal value as raw JSON text: finite numbers in every spelling, booleans, strings. */
const legalValueText: fc.Arbitrary<string> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => value.toExponential()),
  fc.constantFrom(
    '0',
    '-0',
    '1e308',
    '-1e308',
    '5e-324',
    '1e-400',
    '9007199254740993',
    '123456789012345678901234567890',
    '2.5E+3',
  ),
  fc.boolean().map(String),
  fc
    .tuple(legalString, fc.constantFrom<StringMode>('stringify', 'escaped', 'raw'))
    .map(([text, mode]) => jsonString(text, mode)),
);

/** A legal ts as raw JSON text: epoch ms or RFC 3339 from 1970 to 23 h ahead. */
const legalTsText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -50 * YEAR, max: 23 * 3_600_000 }).map((offset) => String(Date.now() + offset)),
  fc.constantFrom('0', '-0', '1e12', '1764000000000'),
  fc
    .tuple(fc.integer({ min: -55 * YEAR, max: 23 * 3_600_000 }), rfc3339Style)
    .map(([offset, style]) => JSON.stringify(rfc3339(Math.max(0, Date.now() + offset), style))),
  fc.constant('"1970-01-01T00:00:00Z"'),
);

interface LegalPoint {
  ts: string | undefined;
  metrics: [string, string][];
}

const legalPoint: fc.Arbitrary<LegalPoint> = fc.record({
  ts: fc.option(legalTsText, { nil: undefined }),
  metrics: fc.oneof(
    {
      weight: 9,
      arbitrary: fc.uniqueArray(fc.tuple(validName, legalValueText), {
        minLength: 1,
        maxLength: 8,
        selector: ([name]) => name,
      }),
    },
    {
      // Up to the 100 limit, each metric with the same short value (the body stays small).
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: MAX_METRICS - 3, max: MAX_METRICS }),
          fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
            fc.constantFrom('true', '"😀\u200f"', '"\ufeff"', '-0'),
          ),
        )
        .map(([count, value]) =>
          Array.from({ length: count }, (_, i): [string, string] => [`m${i}`, value]),
        ),
    },
  ),
});

function pointJson(point: LegalPoint, nameMode: StringMode = 'stringify'): string {
  const metrics = point.metrics.map(([name, value]) => `${jsonString(name, nameMode)}:${value}`);
  const ts = point.ts === undefined ? '' : `"ts":${point.ts},`;
  return `{${ts}"metrics":{${metrics.join(',')}}}`;
}

type Format = 'one' | 'array' | 'ndjson';

function body(points: string[], format: Format): IngestRequest {
  if (format === 'one' && points.length === 1) {
    return request('one point', points[0]!, 'application/json');
  }
  if (format === 'ndjson') return request('ndjson', points.join('\n'), 'application/x-ndjson');
  return request('array', `[${points.join(',')}]`, 'application/json');
}

/** A request that fast-check prints as its raw body (see describeRequest). */
function printed<T extends { request: IngestRequest }>(value: T): T {
  Object.defineProperty(value, fc.toStringMethod, {
    value: () => describeRequest(value.request),
  });
  return value;
}

/** A well-formed body and the number of points it holds. */
const legalRequest = fc
  .tuple(
    fc.array(legalPoint, { minLength: 1, maxLength: 5 }),
    fc.constantFrom<Format>('one', 'array', 'ndjson'),
    fc.constantFrom<StringMode>('stringify', 'escaped', 'raw'),
  )
  .map(([points, format, nameMode]) =>
    printed({
      request: body(
        points.map((point) => pointJson(point, nameMode)),
        format,
      ),
      points: points.length,
    }),
  );

/** A well-formed body with one thing changed to anything at all: a value, a name, ts, a key. */
const nearlyLegal = fc
  .tuple(
    fc.array(legalPoint, { minLength: 1, maxLength: 4 }),
    fc.nat(),
    fc.constantFrom('value', 'name', 'ts', 'key'),
    valueText,
    nameText,
    tsText,
    fc.constantFrom<Format>('one', 'array', 'ndjson'),
  )
  .map(([points, at, what, value, name, ts, format]) => {
    const index = at % points.length;
    const texts = points.map((point, i) => {
      if (i !== index) return pointJson(point);
      const metrics = [...point.metrics];
      const [first] = metrics[0]!;
      if (what === 'value') metrics[0] = [first, value];
      if (what === 'ts') return pointJson({ ...point, ts });
      const text = pointJson({ ...point, metrics });
      if (what === 'name') return text.replace(/"metrics":\{"[^"]*"/, `"metrics":{${name}`);
      if (what === 'key') return `${text.slice(0, -1)},${name}:${value}}`;
      return text;
    });
    const request = body(texts, format);
    return { ...request, shape: `nearly legal (${what} of point ${index}): ${request.shape}` };
  })
  .map((value) => request(value.shape, value.body, value.contentType));

/** Every kind of body. */
const anyRequest: fc.Arbitrary<IngestRequest> = fc.oneof(
  { weight: 8, arbitrary: nearlyLegal },
  { weight: 2, arbitrary: legalRequest.map((legal) => legal.request) },
  { weight: 6, arbitrary: typed('one point', 'json', pointText) },
  { weight: 5, arbitrary: typed('array', 'json', arrayText) },
  { weight: 5, arbitrary: typed('ndjson', 'ndjson', ndjsonLines) },
  { weight: 1, arbitrary: typed('any JSON', 'json', fc.json({ maxDepth: 3 })) },
  {
    weight: 1,
    arbitrary: typed(
      'degenerate',
      'json',
      fc.constantFrom('', ' ', '\n', '\ufeff', '[]', '[[]]', 'null', '[null]', '0', '""'),
    ),
  },
  { weight: 1, arbitrary: typed('odd text', 'ndjson', oddString) },
  { weight: 2, arbitrary: manyPoints },
  { weight: 3, arbitrary: malformed },
  { weight: 2, arbitrary: invalidUtf8 },
  { weight: 1, arbitrary: nearByteLimit },
  { weight: 1, arbitrary: gzipped },
);

// ---------------------------------------------------------------------------------------------
// Posting and judging answers.

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** Posts with node:http, so that an early answer (413 before the body is read) is still seen. */
function post(ingest: IngestRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${device.token}`,
      'content-length': ingest.body.length,
    };
    if (ingest.contentType !== undefined) headers['content-type'] = ingest.contentType;
    if (ingest.contentEncoding !== undefined) headers['content-encoding'] = ingest.contentEncoding;
    let answered = false;
    const req = http.request(`${app.baseUrl}/v1/telemetry`, { method: 'POST', headers });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          text: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(new Error(`no answer: ${String(error)}`));
    });
    req.end(ingest.body);
  });
}

/** The documented refusals: status → code (README "Ingest API"). */
const DOCUMENTED_REFUSALS: Record<number, string> = {
  400: 'INVALID_POINTS',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

interface PointErrorBody {
  index: unknown;
  field: unknown;
  reason: unknown;
}

/** Fails unless the answer is 202 or a documented 4xx with a JSON body carrying its code. */
function checkAnswer(answer: Answer): Record<string, unknown> {
  const seen = `${answer.status} ${answer.contentType ?? '(no content-type)'} ${visible(answer.text, 500)}`;
  if (answer.status >= 500) throw new Violation(`server error ${answer.status}`, seen);
  if (answer.status !== 202 && !(answer.status in DOCUMENTED_REFUSALS)) {
    throw new Violation(`undocumented status ${answer.status}`, seen);
  }
  if (!answer.contentType?.startsWith('application/json')) {
    throw new Violation(`${answer.status} not application/json`, seen);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    throw new Violation(`${answer.status} with a body that is not JSON`, seen);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Violation(`${answer.status} with a JSON body that is not an object`, seen);
  }
  if (answer.status === 202) {
    if (!Number.isInteger(body.accepted) || (body.accepted as number) < 1) {
      throw new Violation('202 without a count of accepted points', seen);
    }
    return body;
  }
  if (body.code !== DOCUMENTED_REFUSALS[answer.status] || typeof body.message !== 'string') {
    throw new Violation(`${answer.status} without its code and a message`, seen);
  }
  // README: a 400 names every bad item (a body that is not JSON as item -1, field "body").
  if (answer.status === 400) {
    const errors = body.errors as PointErrorBody[] | undefined;
    if (!Array.isArray(errors) || errors.length === 0) {
      throw new Violation(
        `400 without errors [{index, field, reason}]: ${String(body.message)}`,
        seen,
      );
    }
    for (const error of errors) {
      if (
        !Number.isInteger(error.index) ||
        (error.index as number) < -1 ||
        typeof error.field !== 'string' ||
        typeof error.reason !== 'string' ||
        error.reason === ''
      ) {
        throw new Violation(
          '400 with a malformed error item',
          `${JSON.stringify(error)} in ${seen}`,
        );
      }
    }
  }
  return body;
}

/** Every string in what the server parsed out of `ingest` (keys too), for accepted bodies. */
function parsedStrings(ingest: IngestRequest): string[] {
  const text = ingest.body.toString();
  const values: unknown[] = [];
  try {
    if (ingest.contentType?.toLowerCase().includes('ndjson')) {
      for (const line of text.split('\n')) if (line.trim() !== '') values.push(JSON.parse(line));
    } else values.push(JSON.parse(text));
  } catch {
    return [];
  }
  const strings: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        strings.push(key);
        walk(inner);
      }
    }
  };
  values.forEach(walk);
  return strings;
}

// ---------------------------------------------------------------------------------------------

describe('ingest fuzzing', () => {
  const anyRuns = fuzzRuns(800);
  it(
    'answers every body with 202 or a documented 4xx carrying a JSON code, never a 5xx',
    async () => {
      const stats = new Map<string, number>();
      const accepted: string[] = [];
      await fuzz(
        'ingest bodies',
        anyRequest,
        async (ingest) => {
          const answer = await post(ingest);
          const body = checkAnswer(answer);
          const key = `${answer.status}${typeof body.code === 'string' ? ` ${body.code}` : ''}`;
          stats.set(key, (stats.get(key) ?? 0) + 1);
          if (answer.status === 202) {
            const bad = parsedStrings(ingest).flatMap(unstorableCharacters);
            if (bad.length > 0)
              accepted.push(`${[...new Set(bad)].join(', ')}: ${describeRequest(ingest)}`);
          }
        },
        anyRuns,
      );
      console.info('ingest fuzz answers:', Object.fromEntries(stats));
      // Reported here, asserted by the property below (which names the item and field).
      if (accepted.length > 0) {
        console.warn(
          `ingest accepted ${accepted.length} bodies holding NUL or a lone surrogate, e.g.\n  ${accepted.slice(0, 5).join('\n  ')}`,
        );
      }
      // The fuzzer reached the parser: both accepted and refused points.
      expect(stats.get('202')).toBeGreaterThan(0);
      expect(stats.get('400 INVALID_POINTS')).toBeGreaterThan(0);
    },
    fuzzTimeout(anyRuns, 20),
  );

  const unstorableRuns = fuzzRuns(150, 0.25);
  it(
    'refuses a point holding NUL or a lone surrogate with 400 naming the item and field',
    async () => {
      const unstorable = fc
        .tuple(
          fc.string({ maxLength: 5 }),
          fc.constantFrom(
            '\u0000',
            '\ud800',
            '\udbff',
            '\udc00',
            '\udfff',
            '\ud83d',
            '\ude00',
            '\ude00\ud83d',
          ),
          fc.string({ maxLength: 5 }),
          fc.constantFrom('start', 'middle', 'end'),
        )
        .map(([before, bad, after, where]) =>
          where === 'start' ? bad + after : where === 'end' ? before + bad : before + bad + after,
        );
      const unstorableRequest = fc
        .tuple(
          fc.array(legalPoint, { minLength: 1, maxLength: 4 }),
          fc.nat(),
          unstorable,
          fc.constantFrom<StringMode>('stringify', 'escaped'),
          fc.constantFrom<Format>('one', 'array', 'ndjson'),
        )
        .map(([points, at, text, mode, format]) => {
          const index = at % points.length;
          const target = points[index]!;
          const [name] = target.metrics[0]!;
          const bad: LegalPoint = {
            ...target,
            metrics: [[name, jsonString(text, mode)], ...target.metrics.slice(1)],
          };
          const texts = points.map((point, i) => pointJson(i === index ? bad : point));
          return printed({ request: body(texts, format), index, field: `metrics.${name}`, text });
        });
      await fuzz(
        'unstorable strings',
        unstorableRequest,
        async ({ request: ingest, index, field, text }) => {
          const answer = await post(ingest);
          const parsed = checkAnswer(answer);
          const seen = `${answer.status} ${visible(answer.text, 500)}`;
          // The class: NUL, lone high surrogate or lone low surrogate.
          const what = unstorableCharacters(text)[0]!.replace(/ U\+\w+$/, '');
          if (answer.status !== 400) {
            throw new Violation(
              `a string value holding a ${what} answered ${answer.status}, not 400`,
              `point ${index}, ${field} = "${visible(text)}": ${seen}`,
            );
          }
          const errors = parsed.errors as PointErrorBody[];
          if (!errors.some((error) => error.index === index && error.field === field)) {
            throw new Violation(
              `400 for a ${what} does not name the point and field`,
              `expected point ${index}, ${field}: ${seen}`,
            );
          }
        },
        unstorableRuns,
      );
    },
    fuzzTimeout(unstorableRuns, 20),
  );

  const legalRuns = fuzzRuns(150, 0.25);
  it(
    'accepts every well-formed body whole',
    async () => {
      await fuzz(
        'well-formed bodies',
        legalRequest,
        async ({ request: ingest, points }) => {
          const answer = await post(ingest);
          const parsed = checkAnswer(answer);
          if (answer.status !== 202 || parsed.accepted !== points) {
            const reason = (parsed.errors as PointErrorBody[] | undefined)?.[0]?.reason;
            throw new Violation(
              `a well-formed body answered ${answer.status}${typeof reason === 'string' ? ` (${reason})` : ''}`,
              `${points} point(s): ${answer.status} ${visible(answer.text, 800)}`,
            );
          }
        },
        legalRuns,
      );
    },
    fuzzTimeout(legalRuns, 20),
  );

  it('the pipeline still stores a fresh point afterwards', async () => {
    const ts = Date.now();
    const fresh = request(
      'fresh point',
      `{"ts":${ts},"metrics":{"fuzz_fresh":42.5}}`,
      'application/json',
    );
    const answer = await post(fresh);
    expect(answer.status, answer.text).toBe(202);
    const gql = createGraphQLClient(app.baseUrl, app.adminToken);
    const reading = await eventually(
      async () => {
        const data = await expectData(gql(DeviceLatestDocument, { id: device.id }));
        return data.device.latest.find((entry) => entry.metric === 'fuzz_fresh');
      },
      10_000,
      'the fresh point in Device.latest',
    );
    expect(reading.value).toBe(42.5);
    expect(Date.parse(reading.ts as string)).toBe(ts);
  });
});
