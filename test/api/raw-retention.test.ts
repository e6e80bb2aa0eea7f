/**
 * RAW_RETENTION and ROLLUP_RETENTION on the read side: every GraphQL read clamps its range to the
 * retentions, so what the store has not deleted yet is never shown; then the retention round
 * deletes it for good. Past the raw retention, whole buckets the rollups answer stay for the
 * rollup retention. An organization's own retention (Mutation.setRetention) does the same for
 * its data alone.
 * Real PGlite and DuckDB; the points are written straight into the store, as ingest would refuse
 * the old ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { retentionPeriod } from '../../src/domain/retention.js';
import { createLogger } from '../../src/logger.js';
import { startRetention } from '../../src/pipeline/retention.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import { createInProcessApi } from '../support/in-process-api.js';

const ORG = 'org-retention';
/** An organization that sets its own retention where the server sets none. */
const OWN = 'org-own-retention';
const HOUR = 3_600_000;
const DAY_1 = retentionPeriod('24h')!;
const DAYS_30 = retentionPeriod('30d')!;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

let database: MetadataDatabase;
let store: TelemetryStore;
let api: ReturnType<typeof createInProcessApi>;
let forever: ReturnType<typeof createInProcessApi>;
/** Raw points for a day, rollups for a month. */
let rollups: ReturnType<typeof createInProcessApi>;
let token: string;
let deviceId: string;
let ownToken: string;
let ownDeviceId: string;

beforeAll(async () => {
  database = await createPgliteDatabase();
  store = await createDuckDbTelemetryStore({ path: ':memory:' });
  const services = {
    devices: database.devices,
    apiKeys: database.apiKeys,
    alerts: database.alerts,
    notifications: database.notifications,
    telemetry: store,
    live: createInProcessLiveHub(),
  };
  api = createInProcessApi(services, { retention: { raw: DAY_1, rollups: DAY_1 } });
  rollups = createInProcessApi(services, { retention: { raw: DAY_1, rollups: DAYS_30 } });
  forever = createInProcessApi(services);
  await database.devices.ensureOrganization(ORG, ORG);
  const device = await database.devices.createDevice(
    { organizationId: ORG, externalId: 'meter', name: 'Meter', type: 'meter' },
    `hash-${Math.random()}`,
  );
  deviceId = device.id;
  await database.devices.ensureOrganization(OWN, OWN);
  const ownDevice = await database.devices.createDevice(
    { organizationId: OWN, externalId: 'meter', name: 'Meter', type: 'meter' },
    `hash-${Math.random()}`,
  );
  ownDeviceId = ownDevice.id;
  // Two days ago (past the retention), and an hour ago.
  await store.write(
    [
      [ORG, deviceId],
      [OWN, ownDeviceId],
    ].flatMap(([orgId, id]): TelemetryPoint[] => [
      { orgId: orgId!, deviceId: id!, ts: now - 48 * HOUR, metrics: { power: 100, old: 1 } },
      { orgId: orgId!, deviceId: id!, ts: now - HOUR, metrics: { power: 5 } },
    ]),
  );
  token = await api.token(ORG, 'viewer');
  ownToken = await api.token(OWN, 'viewer');
});

afterAll(async () => {
  await store?.close();
  await database?.close();
});

const READS = `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
  device(id: $id) {
    latest { metric value }
    rawTelemetry(from: $from, to: $to) { edges { node { metrics { metric value } } } }
    telemetry(metrics: ["power"], from: $from, to: $to, every: "1h", aggregates: [SUM, COUNT]) {
      metrics { sum count }
    }
  }
  fleet {
    reporting(from: $from, to: $to)
    telemetry(metrics: ["power"], from: $from, to: $to, every: "7d", aggregates: [SUM]) {
      series { buckets { metrics { sum } } }
    }
    top(metric: "power", aggregate: MAX, from: $from, to: $to, n: 5) { value }
  }
}`;

async function read(
  client: ReturnType<typeof createInProcessApi>,
  as = { token: () => token, device: () => deviceId },
) {
  const answer = await client.post(as.token(), {
    query: READS,
    variables: { id: as.device(), from: iso(now - 72 * HOUR), to: iso(now + HOUR) },
  });
  const parsed = JSON.parse(answer.text) as { data: unknown; errors?: unknown };
  expect(parsed.errors).toBeUndefined();
  return parsed.data;
}

/** What the reads answer when only the point of an hour ago exists. */
const RECENT_ONLY = {
  device: {
    latest: [{ metric: 'power', value: 5 }],
    rawTelemetry: { edges: [{ node: { metrics: [{ metric: 'power', value: 5 }] } }] },
    telemetry: [{ metrics: [{ sum: 5, count: 1 }] }],
  },
  fleet: {
    reporting: 1,
    telemetry: { series: [{ buckets: [{ metrics: [{ sum: 5 }] }] }] },
    top: [{ value: 5 }],
  },
};

const SET_RETENTION = `mutation ($input: SetRetentionInput!) {
  setRetention(input: $input) { raw rollups organizationRaw organizationRollups serverRaw serverRollups }
}`;

async function setRetention(
  client: ReturnType<typeof createInProcessApi>,
  role: 'admin' | 'operator',
  input: object,
) {
  const answer = await client.post(await client.token(OWN, role), {
    query: SET_RETENTION,
    variables: { input },
  });
  return JSON.parse(answer.text) as {
    data: { setRetention: Record<string, string | null> } | null;
    errors?: { message: string; extensions: { code: string; field?: string } }[];
  };
}

const asOwn = { token: () => ownToken, device: () => ownDeviceId };

describe("an organization's own retention", () => {
  it("is set by admins only, at most the server's, with rollups at least the points", async () => {
    const refused = async (role: 'admin' | 'operator', input: object) =>
      (await setRetention(api, role, input)).errors?.[0];
    expect(await refused('operator', { raw: '12h' })).toMatchObject({
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await refused('admin', { raw: '48h' })).toMatchObject({
      message: "raw must be at most the server's RAW_RETENTION of 24h",
      extensions: { code: 'BAD_USER_INPUT', field: 'raw' },
    });
    expect(await refused('admin', { raw: '12 hours' })).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'raw' },
    });
    expect(await refused('admin', { raw: '12h', rollups: '6h' })).toMatchObject({
      message: expect.stringContaining('rollups must be at least the raw retention (12h)'),
      extensions: { code: 'BAD_USER_INPUT', field: 'rollups' },
    });
    // Where the server keeps points for ever, rollups cannot be kept for less.
    expect(await refused('admin', { rollups: '30d' })).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'rollups' },
    });
    expect(await read(forever, asOwn)).toMatchObject({ fleet: { top: [{ value: 100 }] } });
  });

  it("hides the organization's older points from every read, and no one else's", async () => {
    expect(await setRetention(forever, 'admin', { raw: '24h', rollups: '1d' })).toEqual({
      data: {
        setRetention: {
          raw: '1d',
          rollups: '1d',
          organizationRaw: '1d',
          organizationRollups: '1d',
          serverRaw: null,
          serverRollups: null,
        },
      },
    });
    expect(await read(forever, asOwn)).toEqual(RECENT_ONLY);
    expect(await read(forever)).toMatchObject({ fleet: { top: [{ value: 100 }] } });
    // Under a server bound, the shorter of the two applies (the server's, as written, when equal).
    const answer = await api.post(ownToken, {
      query: '{ retention { raw rollups organizationRaw serverRaw serverRollups } }',
    });
    expect(JSON.parse(answer.text)).toEqual({
      data: {
        retention: {
          raw: '24h',
          rollups: '24h',
          organizationRaw: '1d',
          serverRaw: '24h',
          serverRollups: '24h',
        },
      },
    });
  });

  it("deletes that organization's expired points in the round, no one else's", async () => {
    const stop = startRetention({
      store,
      server: {},
      organizations: database.devices,
      logger: createLogger('silent', 'test'),
    });
    await stop();
    const all = { metrics: [], from: 0, to: now + HOUR, limit: 10 };
    const kept = await store.raw({ ...all, orgId: OWN, deviceId: ownDeviceId });
    expect(kept.map((point) => point.ts)).toEqual([now - HOUR]);
    expect(await store.raw({ ...all, orgId: ORG, deviceId })).toHaveLength(2);
    // Set back to the server's (for ever): what was deleted does not come back.
    expect((await setRetention(forever, 'admin', {})).data?.setRetention.raw).toBeNull();
    expect(await read(forever, asOwn)).toEqual(RECENT_ONLY);
  });
});

describe('raw retention', () => {
  it('hides points past the retention from every read before the store deletes them', async () => {
    expect(await read(api)).toEqual(RECENT_ONLY);
    // Without a retention, the same store still holds the old point.
    expect(await read(forever)).toMatchObject({ fleet: { reporting: 1, top: [{ value: 100 }] } });
  });

  it('answers a range wholly past the retention with nothing, not an error', async () => {
    const answer = await api.post(token, {
      query: READS,
      variables: { id: deviceId, from: iso(now - 72 * HOUR), to: iso(now - 30 * HOUR) },
    });
    expect(JSON.parse(answer.text)).toMatchObject({
      data: {
        device: { rawTelemetry: { edges: [] }, telemetry: [] },
        fleet: { reporting: 0, top: [], telemetry: { series: [{ buckets: [] }] } },
      },
    });
  });

  it('answers whole buckets past the raw retention from the rollups, points stay hidden', async () => {
    const answer = (await read(rollups)) as typeof RECENT_ONLY;
    expect(answer.device.rawTelemetry).toEqual(RECENT_ONLY.device.rawTelemetry);
    expect(answer.device.telemetry).toEqual([
      { metrics: [{ sum: 100, count: 1 }] },
      { metrics: [{ sum: 5, count: 1 }] },
    ]);
  });

  it('deletes the expired points in its round, and then every reader agrees', async () => {
    const stop = startRetention({
      store,
      server: { raw: DAY_1, rollups: DAY_1 },
      organizations: database.devices,
      logger: createLogger('silent', 'test'),
    });
    await stop();
    expect(await read(forever)).toEqual(RECENT_ONLY);
    expect(await read(rollups)).toEqual(RECENT_ONLY);
  });
});
