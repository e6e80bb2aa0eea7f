/**
 * `Device.telemetry`'s bucket width and bucket count are refused with BAD_USER_INPUT and a
 * message saying what to change, before any store is asked (a width no store can compute with
 * used to reach DuckDB and come back as a masked "Unexpected error.").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import type { ApiServices } from '../../src/schema/context.js';
import { createInProcessApi } from '../support/in-process-api.js';

const ORG = 'org-telemetry-arguments';
const storeCalls: string[] = [];
let services: ApiServices;
let api: ReturnType<typeof createInProcessApi>;
let token: string;
let deviceId: string;

/** Closed once, after the services that use it. */
let repositories: MetadataDatabase | undefined;

beforeAll(async () => {
  repositories = await createPgliteDatabase();
  const telemetry = await createDuckDbTelemetryStore({ path: ':memory:' });
  services = {
    devices: repositories.devices,
    telemetry: {
      ...telemetry,
      aggregateDevices: (query) => (
        storeCalls.push('aggregateDevices'),
        telemetry.aggregateDevices(query)
      ),
    },
    live: createInProcessLiveHub(),
    apiKeys: repositories.apiKeys,
    alerts: repositories.alerts,
    notifications: repositories.notifications,
  };
  await services.devices.ensureOrganization(ORG, ORG);
  const device = await services.devices.createDevice(
    { organizationId: ORG, externalId: 'd', name: 'D', type: 't' },
    `hash-${Math.random()}`,
  );
  deviceId = device.id;
  await telemetry.write([
    { orgId: ORG, deviceId, ts: Date.UTC(2026, 0, 1, 0, 0, 1), metrics: { temperature: 20 } },
  ]);
  api = createInProcessApi(services);
  token = await api.token(ORG, 'viewer');
}, 120_000);

afterAll(async () => {
  await services?.telemetry.close();
  await repositories?.close();
});

interface Answer {
  data?: { device: { telemetry: { start: string }[] } | null } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function telemetry(args: { from: string; to: string; every: string; fill?: string }) {
  storeCalls.length = 0;
  const answer = await api.post(token, {
    query: `query ($id: ID!, $from: DateTime!, $to: DateTime!, $every: String!, $fill: Fill) {
      device(id: $id) { telemetry(metrics: ["temperature"], from: $from, to: $to, every: $every, fill: $fill) { start } } }`,
    variables: { id: deviceId, fill: 'NONE', ...args },
  });
  return JSON.parse(answer.text) as Answer;
}

const day = { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };

describe('telemetry bucket width and count', () => {
  it.each(['999999999w', '5201w', '999999999d'])(
    'refuses every: %j, wider than any store computes with, with BAD_USER_INPUT',
    async (every) => {
      const answer = await telemetry({ ...day, every });
      expect(answer.errors).toEqual([
        expect.objectContaining({
          message: `every must be at most 5200w (about 100 years), got ${every}`,
          extensions: { code: 'BAD_USER_INPUT', field: 'every' },
        }),
      ]);
      expect(storeCalls).toEqual([]);
    },
  );

  it('answers the widest every there is: 5200w is one bucket', async () => {
    const answer = await telemetry({ ...day, every: '5200w' });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.device?.telemetry).toHaveLength(1);
  });

  it('refuses a range of more than 10000 buckets, saying how many it holds', async () => {
    const answer = await telemetry({ ...day, every: '1s' });
    expect(answer.errors).toEqual([
      expect.objectContaining({
        message:
          'the range holds 86400 buckets of 1s, more than 10000; widen every or narrow the range',
        extensions: { code: 'BAD_USER_INPUT', field: 'every' },
      }),
    ]);
    expect(storeCalls).toEqual([]);
  });

  it('counts the buckets a range touches, not its length over every', async () => {
    // 10000 s: aligned, exactly 10000 one-second buckets; shifted by half a second, 10001.
    const aligned = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T02:46:40.000Z' };
    const shifted = { from: '2026-01-01T00:00:00.500Z', to: '2026-01-01T02:46:40.500Z' };
    const accepted = await telemetry({ ...aligned, every: '1s', fill: 'NULL' });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data?.device?.telemetry).toHaveLength(10_000);
    const refused = await telemetry({ ...shifted, every: '1s', fill: 'NULL' });
    expect(refused.errors?.[0]).toMatchObject({
      message:
        'the range holds 10001 buckets of 1s, more than 10000; widen every or narrow the range',
      extensions: { code: 'BAD_USER_INPUT', field: 'every' },
    });
  });
});
