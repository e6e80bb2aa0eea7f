/**
 * `GET /v1/export` on the production `api` role: points posted to `ingest` go through Kafka and
 * the pipeline into InfluxDB, and the api process exports them as NDJSON and CSV (InfluxDB's
 * raw reads paged as on DuckDB; strings with commas, quotes and line breaks through a CSV
 * parser), by device and by filter, tenancy included.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterDeviceDocument } from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';
import { userToken } from '../support/tokens.js';

const services = await findProductionServices();

const START = Date.UTC(2026, 5, 1);
const RANGE = `from=${new Date(START).toISOString()}&to=${new Date(START + 3_600_000).toISOString()}`;
/** Past a raw() page of 1,000 points: the export reads three pages. */
const POINTS = 2_100;
const NOTE = 'a, "quoted"\r\nnote';

describe.skipIf(!services)('export on the production api role', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  const roles: RunningRole[] = [];
  let api: RunningRole;
  let deviceId: string;

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    const [ingest, pipeline, started] = await Promise.all([
      startRole('ingest', stack.env),
      startRole('pipeline', stack.env),
      startRole('api', stack.env),
    ]);
    roles.push(ingest, pipeline, started);
    api = started;
    const registered = await expectData(
      createGraphQLClient(api.baseUrl, stack.adminToken)(RegisterDeviceDocument, {
        input: { externalId: 'export-1', name: 'Exported', type: 'exporter' },
      }),
    );
    deviceId = registered.registerDevice.device.id;
    const body = Array.from({ length: POINTS }, (_, i) =>
      JSON.stringify({
        ts: START + i * 1_000,
        metrics: i === 0 ? { v: i, on: true, note: NOTE } : { v: i },
      }),
    ).join('\n');
    const posted = await postTelemetry(
      ingest.baseUrl,
      registered.registerDevice.token,
      body,
      'application/x-ndjson',
    );
    expect(posted.status).toBe(202);
    await eventually(
      async () => ((await stack.countStoredPoints(deviceId, 'v')) === POINTS ? true : undefined),
      30_000,
      'stored points',
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(roles.map((role) => role.stop()));
    await stack?.cleanup();
  });

  async function exportOf(query: string, token = stack.adminToken) {
    const response = await fetch(`${api.baseUrl}/v1/export?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, text: await response.text() };
  }

  it('exports a device as NDJSON, every point in time order', async () => {
    const answer = await exportOf(`deviceId=${deviceId}&${RANGE}&format=ndjson`);
    expect(answer.status).toBe(200);
    const lines = answer.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { deviceId: string; ts: string; metrics: object });
    expect(lines).toHaveLength(POINTS);
    expect(lines[0]).toEqual({
      deviceId,
      ts: new Date(START).toISOString(),
      metrics: { note: NOTE, on: true, v: 0 },
    });
    expect(lines.map((line) => Date.parse(line.ts) - START)).toEqual(
      Array.from({ length: POINTS }, (_, i) => i * 1_000),
    );
  });

  it('exports a filter as CSV, the awkward string read back whole', async () => {
    const answer = await exportOf(`type=exporter&${RANGE}&format=csv&metrics=note,on`);
    expect(answer.status).toBe(200);
    const ts = new Date(START).toISOString();
    expect(parse(answer.text, { record_delimiter: ['\r\n', '\n', '\r'] })).toEqual([
      ['device_id', 'ts', 'metric', 'value'],
      [deviceId, ts, 'note', NOTE],
      [deviceId, ts, 'on', 'true'],
    ]);
  });

  it("answers another organization's request for the device with 404", async () => {
    // Signed as the stack's admin token is (createProductionStack), for another organization.
    const jwt = {
      secret: stack.env.JWT_SECRET!,
      issuer: 'iot-analytics',
      audience: 'iot-analytics-api',
    };
    const foreign = await userToken(jwt, 'export-other-org', 'viewer');
    const answer = await exportOf(`deviceId=${deviceId}&${RANGE}`, foreign);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 'NOT_FOUND' });
  });
});
