/**
 * `GET /v1/export` on the embedded app, as the README's "Export" section describes it: one
 * device's or a filter's points as CSV and NDJSON, equal to what the devices posted (strings with
 * commas, quotes and line breaks read back through a CSV parser), metrics chosen, formats
 * negotiated and compressed, every refusal with its status and body, tenancy, permissions and
 * rate limits; and the README's examples run as written. The expected rows are worked out here
 * from the points posted, not read back from a store.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION } from '../../src/app/embedded.js';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { FAILED_AUTH_BUCKET } from '../../src/http/rate-limit-policy.js';
import { CreateApiKeyDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import type { ApiKeyScope } from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { root } from '../support/child-process.js';
import { userToken } from '../support/tokens.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const OTHER_ORG = 'export-other-org';
/** Users of this organization get a bucket of 3 requests (RATE_LIMITS_BY_ORGANIZATION). */
const LIMITED_ORG = 'export-limited-org';

const app = useEmbeddedApp({
  RATE_LIMITS_BY_ORGANIZATION: JSON.stringify({
    [LIMITED_ORG]: { user: { perSecond: 0.01, burst: 3 } },
  }),
});

type Value = number | boolean | string;
interface Point {
  ts: number;
  metrics: Record<string, Value>;
}
interface Device {
  id: string;
  token: string;
  points: Point[];
}

const START = Date.UTC(2026, 2, 1);
const SECOND = 1_000;
const FROM = new Date(START).toISOString();
const TO = new Date(START + 10 * 60 * SECOND).toISOString();
const RANGE = `from=${FROM}&to=${TO}`;

/** Strings a CSV writer must quote, and others it must leave alone. */
const AWKWARD = [
  'comma, "quoted"\nnew line',
  'carriage\r\nreturn, and "" two quotes',
  ' lead & trail ',
  'ünïcödé ✓ 🚀',
  '"',
  ',',
  '',
  '=1+2',
  'a lone\nline feed',
  'a lone\rcarriage return',
];

let meter1: Device;
let meter2: Device;
let pump: Device;
let bulk: Device;
let foreign: Device;

async function register(
  token: string,
  externalId: string,
  type: string,
  labels: Record<string, string>,
  points: Point[],
): Promise<Device> {
  const data = await expectData(
    createGraphQLClient(app.baseUrl, token)(RegisterDeviceDocument, {
      input: {
        externalId,
        name: externalId,
        type,
        labels: Object.entries(labels).map(([key, value]) => ({ key, value })),
      },
    }),
  );
  const { id } = data.registerDevice.device;
  const body = points.map((point) => JSON.stringify(point)).join('\n');
  const posted = await postTelemetry(
    app.baseUrl,
    data.registerDevice.token,
    body,
    'application/x-ndjson',
  );
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  return { id, token: data.registerDevice.token, points };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: <T = Record<string, unknown>>() => T;
}

async function exportOf(
  query: string,
  options: { token?: string | null; headers?: Record<string, string>; method?: string } = {},
): Promise<Answer> {
  const token = options.token === undefined ? app.adminToken : options.token;
  const response = await fetch(`${app.baseUrl}/v1/export?${query}`, {
    method: options.method ?? 'GET',
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...options.headers,
    },
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: <T>() => JSON.parse(text) as T,
  };
}

/** What an export of these devices over [from, to) must hold: by device id, then time. */
function expected(devices: Device[], metrics?: string[], range = { from: FROM, to: TO }) {
  return [...devices]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .flatMap((device) =>
      [...device.points]
        .filter((point) => point.ts >= Date.parse(range.from) && point.ts < Date.parse(range.to))
        .sort((a, b) => a.ts - b.ts)
        .map((point) => ({
          deviceId: device.id,
          ts: new Date(point.ts).toISOString(),
          metrics: Object.fromEntries(
            Object.keys(point.metrics)
              .filter((metric) => !metrics || metrics.includes(metric))
              .sort()
              .map((metric) => [metric, point.metrics[metric]]),
          ),
        }))
        .filter((point) => Object.keys(point.metrics).length > 0),
    );
}

/** The CSV rows of those points: one per value, booleans as words, numbers as JS writes them. */
function expectedRows(points: ReturnType<typeof expected>) {
  return points.flatMap((point) =>
    Object.entries(point.metrics).map(([metric, value]) => [
      point.deviceId,
      point.ts,
      metric,
      String(value),
    ]),
  );
}

/**
 * CSV as the strictest reader takes it: any line break outside quotes ends a row (csv-parse's
 * default takes the first one it meets, CRLF here, and would let a lone LF in a field pass).
 */
const parseCsv = (text: string) =>
  parse(text, { record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];

const ndjsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

beforeAll(async () => {
  const admin = app.adminToken;
  meter1 = await register(admin, 'meter-1', 'meter', { site: 'north' }, [
    { ts: START, metrics: { temperature: 21.5, door: false, note: AWKWARD[0]! } },
    { ts: START + SECOND, metrics: { temperature: -3.25e-7, door: true, note: AWKWARD[1]! } },
    { ts: START + 2 * SECOND, metrics: { note: AWKWARD[2]!, mode: AWKWARD[3]! } },
    { ts: START + 3 * SECOND, metrics: { temperature: 1e21, count: 42, mode: AWKWARD[4]! } },
    { ts: START + 4 * SECOND, metrics: { note: AWKWARD[5]!, mode: AWKWARD[6]! } },
    { ts: START + 5 * SECOND, metrics: { note: AWKWARD[7]!, mode: AWKWARD[8]!, door: false } },
    { ts: START + 6 * SECOND, metrics: { note: AWKWARD[9]! } },
    // Outside [FROM, TO): before it, and at TO itself.
    { ts: START - SECOND, metrics: { temperature: 0 } },
    { ts: Date.parse(TO), metrics: { temperature: 0 } },
  ]);
  meter2 = await register(
    admin,
    'meter-2',
    'meter',
    { site: 'south' },
    Array.from({ length: 5 }, (_, i) => ({
      ts: START + i * 60 * SECOND,
      metrics: { temperature: i + 0.1, note: `row ${i},\r\n"x"` },
    })),
  );
  pump = await register(admin, 'pump-1', 'pump', { site: 'north' }, [
    { ts: START + 30 * SECOND, metrics: { pressure: 3.5, running: true } },
    { ts: START + 90 * SECOND, metrics: { pressure: 3.25, running: false } },
  ]);
  // Three raw() pages of the real store.
  bulk = await register(
    admin,
    'bulk-1',
    'bulk',
    {},
    Array.from({ length: 2_500 }, (_, i) => ({ ts: START + i * 100, metrics: { v: i } })),
  );
  const foreignAdmin = await userToken(app.jwt, OTHER_ORG, 'admin');
  foreign = await register(foreignAdmin, 'meter-1', 'meter', { site: 'north' }, [
    { ts: START, metrics: { temperature: 99, note: 'secret' } },
  ]);
  // Disabled once its points are in: the status filter's other side.
  await disable(pump.id);
  const total = expected([meter1, meter2, pump, bulk]).length;
  await eventually(
    async () => {
      const answer = await exportOf(`${RANGE}&format=ndjson`);
      return ndjsonLines(answer.text).length === total ? true : undefined;
    },
    20_000,
    `${total} points stored`,
  );
}, 120_000);

async function disable(id: string) {
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
    body: JSON.stringify({
      query: 'mutation ($id: ID!) { disableDevice(id: $id) { status } }',
      variables: { id },
    }),
  });
  expect(await response.json()).toEqual({ data: { disableDevice: { status: 'DISABLED' } } });
}

async function apiKey(scopes: ApiKeyScope[]) {
  const data = await expectData(
    createGraphQLClient(app.baseUrl, app.adminToken)(CreateApiKeyDocument, {
      input: { name: `export ${scopes.join('+')}`, scopes },
    }),
  );
  return data.createApiKey.key;
}

describe('one device', () => {
  it('CSV: a header, a row per value, every string as posted through a CSV parser', async () => {
    const answer = await exportOf(`deviceId=${meter1.id}&${RANGE}&format=csv`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(answer.headers.get('content-disposition')).toBe('attachment; filename="telemetry.csv"');
    expect(answer.text.startsWith('device_id,ts,metric,value\r\n')).toBe(true);
    const rows = parseCsv(answer.text);
    expect(rows[0]).toEqual(['device_id', 'ts', 'metric', 'value']);
    expect(rows.slice(1)).toEqual(expectedRows(expected([meter1])));
    // Every awkward string came back whole, and booleans are words.
    const values = rows.slice(1).map((row) => row[3]);
    for (const text of AWKWARD) expect(values).toContain(text);
    expect(values).toEqual(expect.arrayContaining(['true', 'false', '1e+21', '-3.25e-7']));
  });

  it('NDJSON: one point per line, metrics by name, values as posted', async () => {
    const answer = await exportOf(`deviceId=${meter1.id}&${RANGE}`, {
      headers: { accept: 'application/x-ndjson' },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(answer.text.endsWith('\n')).toBe(true);
    expect(ndjsonLines(answer.text)).toEqual(expected([meter1]));
  });

  it('pages through many points in time order', async () => {
    const answer = await exportOf(`deviceId=${bulk.id}&${RANGE}&format=ndjson`);
    const lines = ndjsonLines(answer.text) as { ts: string; metrics: { v: number } }[];
    expect(lines).toHaveLength(2_500);
    expect(lines.map((line) => line.metrics.v)).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
  });

  it('takes the device id in upper case, as GraphQL does', async () => {
    const answer = await exportOf(`deviceId=${pump.id.toUpperCase()}&${RANGE}&format=ndjson`);
    expect(ndjsonLines(answer.text)).toEqual(expected([pump]));
  });

  it('exports only the metrics asked for, leaving out points without any of them', async () => {
    const answer = await exportOf(
      `deviceId=${meter1.id}&${RANGE}&format=ndjson&metrics=temperature,door&metrics=temperature`,
    );
    expect(ndjsonLines(answer.text)).toEqual(expected([meter1], ['temperature', 'door']));
    const csv = await exportOf(`deviceId=${meter1.id}&${RANGE}&format=csv&metrics=note`);
    expect(parseCsv(csv.text).slice(1)).toEqual(expectedRows(expected([meter1], ['note'])));
  });

  it('answers an empty range with the header alone (CSV) or nothing (NDJSON)', async () => {
    const empty = 'from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z';
    expect((await exportOf(`deviceId=${meter1.id}&${empty}&format=csv`)).text).toBe(
      'device_id,ts,metric,value\r\n',
    );
    const ndjson = await exportOf(`deviceId=${meter1.id}&${empty}&format=ndjson`);
    expect([ndjson.status, ndjson.text]).toEqual([200, '']);
  });
});

describe('a filter', () => {
  it('exports the devices of a type, by device id then time', async () => {
    const answer = await exportOf(`type=meter&${RANGE}&format=ndjson`);
    expect(ndjsonLines(answer.text)).toEqual(expected([meter1, meter2]));
  });

  it('as CSV, by label, status and search', async () => {
    const north = await exportOf(`label=site:north&${RANGE}&format=csv`);
    expect(parseCsv(north.text).slice(1)).toEqual(expectedRows(expected([meter1, pump])));
    const active = await exportOf(`label=site:north&status=ACTIVE&${RANGE}&format=ndjson`);
    expect(ndjsonLines(active.text)).toEqual(expected([meter1]));
    const disabled = await exportOf(`status=disabled&${RANGE}&format=ndjson`);
    expect(ndjsonLines(disabled.text)).toEqual(expected([pump]));
    const search = await exportOf(`search=METER&${RANGE}&format=ndjson&metrics=temperature`);
    expect(ndjsonLines(search.text)).toEqual(expected([meter1, meter2], ['temperature']));
  });

  it('no filter exports every device of the organization, never another one', async () => {
    const answer = await exportOf(`${RANGE}&format=ndjson`);
    expect(ndjsonLines(answer.text)).toEqual(expected([meter1, meter2, pump, bulk]));
    expect(answer.text).not.toContain(foreign.id);
    expect(answer.text).not.toContain('secret');
  });

  it("another organization's filter sees its own devices only", async () => {
    const theirs = await userToken(app.jwt, OTHER_ORG, 'viewer');
    const answer = await exportOf(`label=site:north&${RANGE}&format=ndjson`, { token: theirs });
    expect(ndjsonLines(answer.text)).toEqual(expected([foreign]));
    const none = await exportOf(`type=pump&${RANGE}&format=csv`, { token: theirs });
    expect(none.text).toBe('device_id,ts,metric,value\r\n');
  });
});

describe('formats and encodings', () => {
  it('takes the format from Accept, and format= over Accept', async () => {
    const byAccept = await exportOf(`deviceId=${pump.id}&${RANGE}`, {
      headers: { accept: 'text/html;q=0.9, application/x-ndjson;q=0.8, text/csv;q=0.1' },
    });
    expect(byAccept.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const byDefault = await exportOf(`deviceId=${pump.id}&${RANGE}`, {
      headers: { accept: '*/*' },
    });
    expect(byDefault.headers.get('content-type')).toMatch(/^text\/csv/);
    const byParameter = await exportOf(`deviceId=${pump.id}&${RANGE}&format=csv`, {
      headers: { accept: 'application/x-ndjson' },
    });
    expect(byParameter.headers.get('content-type')).toMatch(/^text\/csv/);
  });

  it.each(['br', 'gzip'])('compresses with %s when the client accepts it', async (encoding) => {
    const plain = await exportOf(`${RANGE}&format=csv`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.headers.get('content-encoding')).toBeNull();
    // fetch decodes br and gzip itself.
    const compressed = await exportOf(`${RANGE}&format=csv`, {
      headers: { 'accept-encoding': encoding },
    });
    expect(compressed.headers.get('content-encoding')).toBe(encoding);
    expect(compressed.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(compressed.text).toBe(plain.text);
  });

  it('answers HEAD with the headers of the export and no body', async () => {
    const answer = await exportOf(`deviceId=${pump.id}&${RANGE}`, { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(answer.text).toBe('');
  });
});

describe('refusals', () => {
  const badRequest = async (query: string, parameter: string) => {
    const answer = await exportOf(query);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/json');
    const body = answer.json<{ code: string; message: string; errors: unknown[] }>();
    expect(body.code).toBe('BAD_REQUEST');
    expect(body.message).toMatch(new RegExp(`^${parameter}: `));
    expect(body.errors).toContainEqual({ parameter, reason: expect.any(String) });
    return body;
  };

  it('400 names the bad parameter', async () => {
    const device = `deviceId=${meter1.id}`;
    await badRequest(`${device}&from=yesterday&to=${TO}`, 'from');
    await badRequest(`${device}&from=${FROM}`, 'to');
    await badRequest(`${device}&from=${TO}&to=${FROM}`, 'from');
    await badRequest(`${device}&from=${FROM}&to=${FROM}`, 'from');
    await badRequest(`${device}&${RANGE}&format=xlsx`, 'format');
    await badRequest(`${device}&${RANGE}&metrics=temperature,1st`, 'metrics');
    await badRequest(`${device}&${RANGE}&metrics=device_id`, 'metrics');
    await badRequest(`${device}&${RANGE}&type=meter`, 'deviceId');
    await badRequest(`${RANGE}&label=site`, 'label');
    await badRequest(`${RANGE}&status=broken`, 'status');
    await badRequest(`${RANGE}&devices=all`, 'devices');
    const several = await badRequest(`from=x&to=y&format=z`, 'from');
    expect(several.errors.map((error) => (error as { parameter: string }).parameter)).toEqual([
      'from',
      'to',
      'format',
    ]);
  });

  it('401 without a credential, or with a bad one', async () => {
    for (const token of [null, 'not-a-jwt', generateApiKey().key]) {
      const answer = await exportOf(`deviceId=${meter1.id}&${RANGE}`, { token });
      expect(answer.status, answer.text).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      expect(answer.json()).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String) });
    }
  });

  it('403 for an API key without telemetry:read, or without devices:read for a filter', async () => {
    const devicesOnly = await apiKey(['READ_DEVICES', 'READ_ALERTS']);
    const refused = await exportOf(`deviceId=${meter1.id}&${RANGE}`, { token: devicesOnly });
    expect(refused.status).toBe(403);
    expect(refused.json()).toEqual({
      code: 'FORBIDDEN',
      message: 'exporting telemetry needs the telemetry:read permission',
    });

    const telemetryOnly = await apiKey(['READ_TELEMETRY']);
    const byId = await exportOf(`deviceId=${meter1.id}&${RANGE}&format=ndjson`, {
      token: telemetryOnly,
    });
    expect(ndjsonLines(byId.text)).toEqual(expected([meter1]));
    const byFilter = await exportOf(`type=meter&${RANGE}`, { token: telemetryOnly });
    expect(byFilter.status).toBe(403);
    expect(byFilter.json<{ message: string }>().message).toContain('devices:read');

    const both = await apiKey(['READ_DEVICES', 'READ_TELEMETRY']);
    const all = await exportOf(`${RANGE}&format=ndjson`, { token: both });
    expect(ndjsonLines(all.text)).toEqual(expected([meter1, meter2, pump, bulk]));
  });

  it("404 for an unknown device, an id that is not one, and another organization's", async () => {
    for (const id of ['00000000-0000-7000-8000-000000000000', 'not-an-id', foreign.id]) {
      const answer = await exportOf(`deviceId=${encodeURIComponent(id)}&${RANGE}`);
      expect(answer.status, id).toBe(404);
      expect(answer.json()).toEqual({
        code: 'NOT_FOUND',
        message: `device ${JSON.stringify(id)} not found`,
      });
    }
    // The other organization reads its own device by the same id.
    const theirs = await userToken(app.jwt, OTHER_ORG, 'viewer');
    const answer = await exportOf(`deviceId=${foreign.id}&${RANGE}&format=ndjson`, {
      token: theirs,
    });
    expect(ndjsonLines(answer.text)).toEqual(expected([foreign]));
  });

  it('406 when Accept allows neither format and no format is given', async () => {
    const answer = await exportOf(`deviceId=${meter1.id}&${RANGE}`, {
      headers: { accept: 'application/json' },
    });
    expect(answer.status).toBe(406);
    expect(answer.json()).toEqual({ code: 'NOT_ACCEPTABLE', message: expect.any(String) });
    const withFormat = await exportOf(`deviceId=${meter1.id}&${RANGE}&format=csv`, {
      headers: { accept: 'application/json' },
    });
    expect(withFormat.status).toBe(200);
  });

  it('405 for anything but GET and HEAD', async () => {
    const answer = await exportOf(`deviceId=${meter1.id}&${RANGE}`, { method: 'POST' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET, HEAD');
    expect(answer.json()).toEqual({ code: 'METHOD_NOT_ALLOWED', message: 'use GET' });
  });
});

describe('rate limits', () => {
  it("charges the user's GraphQL bucket: 429 with Retry-After past it", async () => {
    const token = await userToken(app.jwt, LIMITED_ORG, 'viewer');
    const first = await exportOf(`${RANGE}&format=ndjson`, { token });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('3');
    expect(first.headers.get('ratelimit-remaining')).toBe('2');
    // A GraphQL request takes from the same bucket.
    const graphql = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(graphql.headers.get('ratelimit-remaining')).toBe('1');
    expect((await exportOf(`${RANGE}`, { token })).status).toBe(200);
    const refused = await exportOf(`${RANGE}`, { token });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.json()).toEqual({ code: 'RATE_LIMITED', message: expect.any(String) });
  });

  it('throttles failed authentications per address, as GraphQL and ingest do', async () => {
    // From an address of its own, so the other tests' bucket is untouched.
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 150; i++) {
      statuses.push(await exportFrom('127.0.0.77', generateApiKey().key));
    }
    const seconds = (Date.now() - started) / 1_000;
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(new Set(statuses)).toEqual(new Set([401, 429]));
    // The bucket (FAILED_AUTH_BUCKET) lets its burst through, then one failure per refilled
    // token: a refill can let any single attempt through, so count rather than look at the last.
    const answered = statuses.filter((status) => status === 401).length;
    expect(answered).toBeLessThanOrEqual(
      FAILED_AUTH_BUCKET.burst + Math.ceil(seconds * FAILED_AUTH_BUCKET.perSecond) + 1,
    );
    expect(statuses).toContain(429);
    // A valid user token still gets through from that address.
    expect(await exportFrom('127.0.0.77', app.adminToken)).toBe(200);
  });
});

/** The status of an export of meter1 sent from a chosen local address (fetch cannot choose). */
function exportFrom(localAddress: string, token: string): Promise<number> {
  const url = new URL(`/v1/export?deviceId=${meter1.id}&${RANGE}`, app.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        localAddress,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

// The default organization is the admin's: a user token of it reads the same devices.
it('a viewer of the organization exports like the admin', async () => {
  const viewer = await userToken(app.jwt, DEFAULT_ORGANIZATION.id, 'viewer');
  const answer = await exportOf(`type=meter&${RANGE}&format=ndjson`, { token: viewer });
  expect(ndjsonLines(answer.text)).toEqual(expected([meter1, meter2]));
});

describe("the README's examples", () => {
  /** The fenced sh blocks of the README's "Export" section: one, with both examples. */
  async function exampleBlocks() {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const start = readme.indexOf('## Export');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  }

  it('run as written', async () => {
    // The walkthrough's thermostat at the north site, with points on the examples' day.
    const day = Date.UTC(2026, 10, 24);
    const boiler = await register(
      app.adminToken,
      'boiler-readme',
      'thermostat',
      { site: 'north' },
      [0, 1, 2].map((hour) => ({
        ts: day + hour * 3_600_000,
        metrics: { temperature: 20 + hour / 2, humidity: 40 + hour },
      })),
    );
    const window = { from: '2026-11-24T00:00:00Z', to: '2026-11-25T00:00:00Z' };
    const wanted = (metrics?: string[]) => expected([boiler], metrics, window);
    const query = `deviceId=${boiler.id}&from=${window.from}&to=${window.to}&format=ndjson`;
    await eventually(
      async () => (ndjsonLines((await exportOf(query)).text).length === 3 ? true : undefined),
      10_000,
      'the thermostat points stored',
    );

    const [block, ...more] = await exampleBlocks();
    expect(more).toEqual([]);
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'export-readme-'));
    try {
      const env = {
        PATH: process.env.PATH ?? '',
        PORT: new URL(app.baseUrl).port,
        TOKEN: app.adminToken,
        DEVICE_ID: boiler.id,
      };
      // The first command writes telemetry.csv, the second prints NDJSON.
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', block!], {
        env,
        cwd,
        timeout: 30_000,
      });
      const csv = await readFile(path.join(cwd, 'telemetry.csv'), 'utf8');
      expect(parseCsv(csv).slice(1)).toEqual(expectedRows(wanted()));
      expect(ndjsonLines(stdout)).toEqual(wanted(['temperature']));
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
