/**
 * RAW_RETENTION and ROLLUP_RETENTION on the read side: every GraphQL read clamps its range to the
 * retentions, so what the store has not deleted yet is never shown; then the retention round
 * deletes it for good. Past the raw retention, whole buckets the rollups answer stay for the
 * rollup retention.
 * Real PGlite and DuckDB; the points are written straight into the store, as ingest would refuse
 * the old ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { createLogger } from '../../src/logger.js';
import { startRetention } from '../../src/pipeline/retention.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import { createInProcessApi } from '../support/in-process-api.js';

const ORG = 'org-retention';
const HOUR = 3_600_000;
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
  api = createInProcessApi(services, { rawRetentionMs: 24 * HOUR, rollupRetentionMs: 24 * HOUR });
  rollups = createInProcessApi(services, {
    rawRetentionMs: 24 * HOUR,
    rollupRetentionMs: 30 * 24 * HOUR,
  });
  forever = createInProcessApi(services);
  await database.devices.ensureOrganization(ORG, ORG);
  const device = await database.devices.createDevice(
    { organizationId: ORG, externalId: 'meter', name: 'Meter', type: 'meter' },
    `hash-${Math.random()}`,
  );
  deviceId = device.id;
  // Two days ago (past the retention), and an hour ago.
  await store.write([
    { orgId: ORG, deviceId, ts: now - 48 * HOUR, metrics: { power: 100, old: 1 } },
    { orgId: ORG, deviceId, ts: now - HOUR, metrics: { power: 5 } },
  ]);
  token = await api.token(ORG, 'viewer');
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

async function read(client: ReturnType<typeof createInProcessApi>) {
  const answer = await client.post(token, {
    query: READS,
    variables: { id: deviceId, from: iso(now - 72 * HOUR), to: iso(now + HOUR) },
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
      raw: { text: '24h', ms: 24 * HOUR },
      rollups: { text: '24h', ms: 24 * HOUR },
      logger: createLogger('silent', 'test'),
    });
    await stop();
    expect(await read(forever)).toEqual(RECENT_ONLY);
    expect(await read(rollups)).toEqual(RECENT_ONLY);
  });
});
