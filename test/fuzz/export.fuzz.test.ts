/**
 * Property-based fuzzing of `GET /v1/export` on the real embedded app on port 0: fast-check
 * builds query strings (real and odd parameter names; legal and broken times, formats, device ids
 * of both organizations and made-up ones, filters, metric lists and odd strings; percent-encoded,
 * raw, or with broken escapes; whole junk query strings), every kind of credential, and odd
 * Accept and Accept-Encoding headers (export-requests.ts).
 *
 * Properties (export-checks.ts):
 * - every answer is 200 or a documented refusal (400, 401, 403, 404, 406; 429 for a bad
 *   credential once its address is over the failed-authentication limit), never a 5xx; a
 *   refusal is a JSON body carrying its status's code, a 400 lists the bad parameters;
 * - a bad credential is always 401 (or 429), a valid one never;
 * - an export is a whole CSV or NDJSON body, in the encoding it announces, holding only the
 *   caller's organization's devices;
 * - afterwards the app is healthy: ready, exporting what it stored, and storing a fresh point.
 *
 * Runs with the other fuzzers (`FUZZ_RUNS`, `FUZZ_SEED`/`FUZZ_PATH`, `FUZZ_SURVEY`: see
 * fuzz-support.ts); the default is sized for CI.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { CreateApiKeyDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import { createGraphQLClient, expectData, postTelemetry } from '../support/graphql-client.js';
import { userToken } from '../support/tokens.js';
import { DEFAULT_ORGANIZATION } from '../../src/app/embedded.js';
import { fuzz, fuzzBudget } from './fuzz-support.js';
import { storedReading, useFuzzedApp } from './fuzzed-app.js';
import { checkExportAnswer, sendExport } from './export-checks.js';
import { exportRequest, type ExportFixture } from './export-requests.js';

const app = useFuzzedApp();
const OTHER_ORG = 'export-fuzz-other';
const START = Date.UTC(2026, 0, 1);

let fixture: ExportFixture;
let meter: { id: string; token: string };

async function register(token: string, externalId: string, type: string, site: string) {
  const data = await expectData(
    createGraphQLClient(app.baseUrl, token)(RegisterDeviceDocument, {
      input: { externalId, name: externalId, type, labels: [{ key: 'site', value: site }] },
    }),
  );
  return { id: data.registerDevice.device.id, token: data.registerDevice.token };
}

async function post(device: { token: string }, points: object[]) {
  const body = points.map((point) => JSON.stringify(point)).join('\n');
  const answer = await postTelemetry(app.baseUrl, device.token, body, 'application/x-ndjson');
  expect(answer.status).toBe(202);
}

const bearer = (token: string) => `Bearer ${token}`;

beforeAll(async () => {
  const admin = app.adminToken;
  meter = await register(admin, 'fuzz-meter', 'meter', 'north');
  const pump = await register(admin, 'fuzz-pump', 'pump', 'south');
  const foreignAdmin = await userToken(app.jwt, OTHER_ORG, 'admin');
  const foreign = await register(foreignAdmin, 'fuzz-meter', 'meter', 'north');
  await post(
    meter,
    Array.from({ length: 30 }, (_, i) => ({
      ts: START + i * 60_000,
      metrics: {
        temperature: i / 3,
        door: i % 2 === 0,
        note: `"${i}",\r\n${'é'.repeat(i)}`,
        // No comma or quote: only the lone line break makes it a field to quote.
        mode: i % 2 === 0 ? `line ${i}\nbreak` : `line ${i}\rbreak`,
      },
    })),
  );
  await post(pump, [{ ts: START, metrics: { pressure: 1.5, mode: 'a,b' } }]);
  await post(foreign, [{ ts: START, metrics: { temperature: 99, note: 'foreign' } }]);
  const key = async (scopes: ('READ_DEVICES' | 'READ_TELEMETRY')[]) =>
    bearer(
      (
        await expectData(
          createGraphQLClient(app.baseUrl, admin)(CreateApiKeyDocument, {
            input: { name: `fuzz ${scopes.join('+')}`, scopes },
          }),
        )
      ).createApiKey.key,
    );
  fixture = {
    ownDeviceIds: [meter.id, pump.id],
    foreignDeviceIds: [foreign.id],
    authorization: {
      admin: bearer(admin),
      viewer: bearer(await userToken(app.jwt, DEFAULT_ORGANIZATION.id, 'viewer')),
      foreignViewer: bearer(await userToken(app.jwt, OTHER_ORG, 'viewer')),
      devicesOnlyKey: await key(['READ_DEVICES']),
      telemetryOnlyKey: await key(['READ_TELEMETRY']),
      none: undefined,
      garbage: 'Bearer not.a.token',
      unknownKey: bearer(generateApiKey().key),
    },
  };
  // Every point stored before the fuzzing starts.
  await storedReading(app, pump.id, 'pressure');
  await storedReading(app, meter.id, 'note');
});

/** Requests come from many loopback addresses: bad credentials are throttled per address. */
let sent = 0;
const nextAddress = () => `127.0.${2 + (Math.floor(sent / 250) % 250)}.${1 + (sent++ % 250)}`;

describe('export fuzzing', () => {
  const budget = fuzzBudget(400, 1, 30);
  it(
    'answers every request with 200 or a documented refusal, never a 5xx or a foreign point',
    async () => {
      const stats = new Map<string, number>();
      await fuzz(
        'export requests',
        exportRequest(fixture),
        async (request) => {
          const answer = await sendExport(app.baseUrl, request, nextAddress());
          const key = checkExportAnswer(request, answer, fixture);
          stats.set(key, (stats.get(key) ?? 0) + 1);
        },
        budget,
      );
      console.info('export fuzz answers:', Object.fromEntries(stats));
      // The fuzzer reached both sides: exports, and the parameter checks.
      expect(stats.get('200')).toBeGreaterThan(0);
      expect(stats.get('400 BAD_REQUEST')).toBeGreaterThan(0);
    },
    budget.timeout,
  );

  it('the app is healthy afterwards: ready, exporting, and storing a fresh point', async () => {
    const ready = await fetch(`${app.baseUrl}/ready`);
    expect(ready.status).toBe(200);
    const exported = await fetch(
      `${app.baseUrl}/v1/export?deviceId=${meter.id}&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&format=ndjson`,
      { headers: { authorization: bearer(app.adminToken) } },
    );
    expect(exported.status).toBe(200);
    expect((await exported.text()).trim().split('\n')).toHaveLength(30);
    const ts = Date.now();
    await post(meter, [{ ts, metrics: { fuzz_fresh: 7 } }]);
    const reading = await storedReading(app, meter.id, 'fuzz_fresh');
    expect(reading.value).toBe(7);
  });
});
