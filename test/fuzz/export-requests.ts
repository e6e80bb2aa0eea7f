/**
 * Requests for the export fuzzer (`GET /v1/export`): query strings built from the real parameter
 * names and odd ones, with values of every kind (legal and broken RFC 3339 times, formats, real
 * and foreign and made-up device ids, filters, metric lists, odd strings), sent percent-encoded,
 * raw (`&`, `=`, `+`, `%`, `#` left as they are), or with broken percent escapes; whole junk
 * query strings; every kind of credential; odd Accept and Accept-Encoding headers.
 */
import fc from 'fast-check';
import { printedAs } from './fuzz-support.js';
import { oddString } from './odd-strings.js';
import { visible } from './string-escapes.js';

/** Who sends a request, and so what it may be answered. */
export type Credential =
  | 'admin'
  | 'viewer'
  | 'foreignViewer'
  | 'devicesOnlyKey'
  | 'telemetryOnlyKey'
  | 'none'
  | 'garbage'
  | 'unknownKey';

/** Credentials that authenticate; the others must get 401 (or 429 once their address is over). */
export const VALID_CREDENTIALS: ReadonlySet<Credential> = new Set([
  'admin',
  'viewer',
  'foreignViewer',
  'devicesOnlyKey',
  'telemetryOnlyKey',
]);

/** What the fuzzer needs of the app: device ids of both organizations, and credentials. */
export interface ExportFixture {
  ownDeviceIds: string[];
  foreignDeviceIds: string[];
  /** The Authorization header of each credential (none: no header). */
  authorization: Record<Credential, string | undefined>;
}

export interface ExportRequest {
  method: 'GET' | 'HEAD';
  /** `/v1/export?…` as sent on the request line. */
  path: string;
  credential: Credential;
  headers: Record<string, string>;
}

/** Around the fixture's points (2026-01-01), and at the edges of what RFC 3339 can write. */
const LEGAL_TIMES = [
  '2025-12-31T00:00:00Z',
  '2026-01-01T00:00:00Z',
  '2026-01-01T00:00:00.001Z',
  '2026-01-01T00:30:00+01:00',
  '2026-01-01T00:02:00-00:00',
  '2026-01-01 00:03:00z',
  '2026-01-02T00:00:00.000Z',
  '2027-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
];

const BROKEN_TIMES = [
  '2026-01-01',
  '2026-01-01T00:00:00',
  '2026-02-30T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T00:00:00+24:00',
  '2026-01-01T00:00:00.Z',
  '1764000000000',
  'now',
  '-000001-01-01T00:00:00Z',
  '2026-01-01T00:00:00Z ',
  '2026-01-01T00:00:00\u0000Z',
  '１９７０-01-01T00:00:00Z',
];

const METRIC_NAMES = [
  'temperature',
  'note',
  'door',
  'mode',
  'time',
  'device_id',
  '9x',
  'a'.repeat(65),
];

function valueFor(name: string, fixture: ExportFixture): fc.Arbitrary<string> {
  const odd = { weight: 1, arbitrary: oddString };
  switch (name) {
    case 'from':
    case 'to':
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...LEGAL_TIMES) },
        { weight: 2, arbitrary: fc.constantFrom(...BROKEN_TIMES) },
        odd,
      );
    case 'format':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('csv', 'ndjson', 'CSV', 'NdJson') },
        { weight: 1, arbitrary: fc.constantFrom('json', 'xlsx', '', 'csv,ndjson') },
        odd,
      );
    case 'deviceId':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...fixture.ownDeviceIds) },
        { weight: 2, arbitrary: fc.constantFrom(...fixture.foreignDeviceIds) },
        { weight: 1, arbitrary: fc.uuid() },
        {
          weight: 1,
          arbitrary: fc.constantFrom(...fixture.ownDeviceIds).map((id) => id.toUpperCase()),
        },
        odd,
      );
    case 'type':
      return fc.oneof({ weight: 3, arbitrary: fc.constantFrom('meter', 'pump', '') }, odd);
    case 'label':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('site:north', 'site:south', 'site:', ':x') },
        { weight: 2, arbitrary: fc.tuple(oddString, oddString).map(([k, v]) => `${k}:${v}`) },
        odd,
      );
    case 'status':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('ACTIVE', 'DISABLED', 'active', 'gone') },
        odd,
      );
    case 'metrics':
      return fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .array(fc.constantFrom(...METRIC_NAMES), { minLength: 1, maxLength: 4 })
            .map((names) => names.join(',')),
        },
        { weight: 1, arbitrary: fc.constantFrom('', ',', 'temperature,,note') },
        odd,
      );
    default:
      return fc.oneof({ weight: 2, arbitrary: fc.constantFrom('', '1', 'x') }, odd);
  }
}

const KNOWN_NAMES = [
  'from',
  'to',
  'format',
  'deviceId',
  'type',
  'label',
  'search',
  'status',
  'metrics',
];

const parameterName = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...KNOWN_NAMES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('FROM', 'device_id', 'labels', 'from[]', '', 'filter', 'limit'),
  },
  { weight: 1, arbitrary: oddString },
);

/** UTF-8 bytes, percent-encoded: all of them, or only those a request line cannot carry raw. */
function percentEncoded(text: string, keep: RegExp): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += keep.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

type Encoding = 'encoded' | 'plus' | 'raw';
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** Printable ASCII but space: what a request line may hold as it is (`&`, `=`, `#`, `%` too). */
const PRINTABLE = /^[\x21-\x7e]$/;

function encode(text: string, encoding: Encoding): string {
  if (encoding === 'raw') return percentEncoded(text, PRINTABLE);
  const encoded = percentEncoded(text, UNRESERVED);
  return encoding === 'plus' ? encoded.replace(/%20/g, '+') : encoded;
}

/** One `name=value` pair as sent, sometimes without `=`, sometimes with a broken escape. */
function pair(fixture: ExportFixture): fc.Arbitrary<string> {
  return parameterName
    .chain((name) => fc.tuple(fc.constant(name), valueFor(name, fixture)))
    .chain(([name, value]) =>
      fc
        .tuple(
          fc.constantFrom<Encoding>('encoded', 'encoded', 'plus', 'raw'),
          fc.constantFrom('', '', '', '', '%', '%zz', '%ff', '%c3%28', '%00', '%ED%A0%80', '+'),
          fc.constantFrom('=', '=', '=', '=', '', '=='),
        )
        .map(
          ([encoding, junk, equals]) =>
            `${encode(name, encoding)}${equals}${encode(value, encoding)}${junk}`,
        ),
    );
}

/** Legal values of the selection and format parameters: what reaches the device lookup. */
function wellFormedParts(fixture: ExportFixture): fc.Arbitrary<string[]> {
  const deviceId = fc
    .oneof(
      fc.constantFrom(...fixture.ownDeviceIds, ...fixture.ownDeviceIds),
      fc.constantFrom(...fixture.foreignDeviceIds),
      fc.uuid(),
    )
    .map((id) => [`deviceId=${id}`]);
  const filter = fc.subarray([
    'type=meter',
    'label=site%3Anorth',
    'label=floor:2',
    'search=fuzz',
    'status=ACTIVE',
  ]);
  const selection = fc.oneof({ weight: 2, arbitrary: deviceId }, { weight: 3, arbitrary: filter });
  const format = fc.constantFrom([], ['format=csv'], ['format=ndjson']);
  const metrics = fc.constantFrom(
    [],
    ['metrics=temperature'],
    ['metrics=note,door', 'metrics=mode'],
  );
  return fc
    .tuple(selection, format, metrics)
    .map(([chosen, formatPart, metricParts]) => [...chosen, ...formatPart, ...metricParts]);
}

function query(fixture: ExportFixture): fc.Arbitrary<string> {
  const times = fc.constantFrom(...LEGAL_TIMES);
  const range = fc
    .tuple(times, times)
    .map(([from, to]) => `from=${encode(from, 'encoded')}&to=${encode(to, 'encoded')}`);
  // from before to (the strings differ in their instants), so the request gets past the range.
  const orderedRange = fc
    .tuple(times, times)
    .filter(
      ([a, b]) => a !== b && Date.parse(a.replace(' ', 'T')) !== Date.parse(b.replace(' ', 'T')),
    )
    .map(([a, b]) =>
      Date.parse(a.replace(' ', 'T')) < Date.parse(b.replace(' ', 'T')) ? [a, b] : [b, a],
    )
    .map(([from, to]) => `from=${encode(from!, 'encoded')}&to=${encode(to!, 'encoded')}`);
  return fc.oneof(
    // Well formed: reaches the permissions, the device lookup and the stream.
    {
      weight: 6,
      arbitrary: fc
        .tuple(orderedRange, wellFormedParts(fixture), fc.array(pair(fixture), { maxLength: 1 }))
        .map(([head, parts, odd]) => [head, ...parts, ...odd].join('&')),
    },
    // A range that parses, and anything.
    {
      weight: 3,
      arbitrary: fc
        .tuple(range, fc.array(pair(fixture), { maxLength: 5 }))
        .map(([head, rest]) => [head, ...rest].join('&')),
    },
    {
      weight: 2,
      arbitrary: fc.array(pair(fixture), { maxLength: 8 }).map((pairs) => pairs.join('&')),
    },
    // Junk: anything a request line can carry.
    {
      weight: 1,
      arbitrary: fc.string({
        unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
        maxLength: 200,
      }),
    },
  );
}

const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});

const accept = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '*/*',
      'text/csv',
      'application/x-ndjson',
      'application/json',
      'text/*;q=0.5, application/*;q=0.6',
      'text/csv;q=0',
      'text/csv;q=abc',
      '*/*;q=0',
      ',,,',
      'text/',
    ),
  },
  { weight: 1, arbitrary: headerText },
);

const acceptEncoding = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'br',
      'gzip',
      'gzip, br',
      'identity',
      '*',
      'br;q=0, gzip;q=0',
      'deflate',
      'x',
    ),
  },
  { weight: 1, arbitrary: headerText },
);

const credential = fc.constantFrom<Credential>(
  'admin',
  'admin',
  'admin',
  'admin',
  'viewer',
  'foreignViewer',
  'devicesOnlyKey',
  'telemetryOnlyKey',
  'none',
  'garbage',
  'unknownKey',
);

/** The longest path sent: past Node's 16 KB header limit a request gets 431 from Node itself. */
const MAX_PATH = 8_000;

export function exportRequest(fixture: ExportFixture): fc.Arbitrary<ExportRequest> {
  return fc
    .record({
      method: fc.constantFrom<'GET' | 'HEAD'>('GET', 'GET', 'GET', 'GET', 'GET', 'HEAD'),
      query: query(fixture),
      credential,
      accept,
      acceptEncoding,
    })
    .map(
      ({ method, query: text, credential: who, accept: acceptHeader, acceptEncoding: coding }) => {
        const authorization = fixture.authorization[who];
        const request: ExportRequest = {
          method,
          path: `/v1/export?${text}`.slice(0, MAX_PATH),
          credential: who,
          headers: {
            ...(authorization === undefined ? {} : { authorization }),
            ...(acceptHeader === undefined ? {} : { accept: acceptHeader }),
            ...(coding === undefined ? {} : { 'accept-encoding': coding }),
          },
        };
        return printedAs(request, describeRequest);
      },
    );
}

export function describeRequest(request: ExportRequest): string {
  const headers = Object.entries(request.headers)
    .filter(([name]) => name !== 'authorization')
    .map(([name, value]) => `${name}: ${visible(value, 80)}`);
  return `${request.method} ${visible(request.path, 600)} as ${request.credential}${headers.length ? ` (${headers.join('; ')})` : ''}`;
}
