/**
 * DataLoader batching: a page of 100 devices with their latest values, or with the same
 * `telemetry(...)` question, costs one telemetry-store round trip and one metadata round trip,
 * not 100 of each (real PGlite and DuckDB underneath; the spies only count calls).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import type { ApiServices } from '../../src/schema/context.js';
import { createInProcessApi } from '../support/in-process-api.js';

const ORG = 'org-dataloader';
const calls = { latest: 0, findDevices: 0, aggregateDevices: [] as number[] };
let services: ApiServices;
let api: ReturnType<typeof createInProcessApi>;
let token: string;
const ids: string[] = [];

/** Closed once, after the services that use it. */
let repositories: MetadataDatabase | undefined;

beforeAll(async () => {
  const database = await createPgliteDatabase();
  repositories = database;
  const telemetry = await createDuckDbTelemetryStore({ path: ':memory:' });
  services = {
    devices: {
      ...database.devices,
      findDevices: (organizationId, deviceIds) => {
        calls.findDevices++;
        return database.devices.findDevices(organizationId, deviceIds);
      },
    },
    telemetry: {
      ...telemetry,
      latest: (organizationId, deviceIds) => {
        calls.latest++;
        return telemetry.latest(organizationId, deviceIds);
      },
      aggregateDevices: (query) => {
        calls.aggregateDevices.push(query.deviceIds.length);
        return telemetry.aggregateDevices(query);
      },
    },
    live: createInProcessLiveHub(),
    apiKeys: repositories.apiKeys,
    alerts: repositories.alerts,
    notifications: repositories.notifications,
  };
  await services.devices.ensureOrganization(ORG, ORG);
  for (let i = 0; i < 100; i++) {
    const device = await services.devices.createDevice(
      { organizationId: ORG, externalId: `d-${i}`, name: `Device ${i}`, type: 't' },
      `hash-${i}-${Math.random()}`,
    );
    ids.push(device.id);
  }
  await telemetry.write(
    ids.map((deviceId, i) => ({
      orgId: ORG,
      deviceId,
      ts: Date.UTC(2026, 0, 1) + i,
      metrics: { temperature: i },
    })),
  );
  api = createInProcessApi(services);
  token = await api.token(ORG, 'viewer');
}, 120_000);

afterAll(async () => {
  await services?.telemetry.close();
  await repositories?.close();
});

async function query(body: object) {
  const answer = await api.post(token, body);
  return JSON.parse(answer.text) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe('DataLoader per request', () => {
  it('answers a page of 100 devices with latest values in one telemetry round trip', async () => {
    calls.latest = 0;
    const result = await query({
      query: '{ devices(first: 100) { edges { node { id latest { metric value } } } } }',
    });
    expect(result.errors).toBeUndefined();
    const edges = (result.data!.devices as { edges: { node: { latest: { value: number }[] } }[] })
      .edges;
    expect(edges).toHaveLength(100);
    expect(edges.every((edge) => edge.node.latest.length === 1)).toBe(true);
    expect(calls.latest).toBe(1);
  });

  it('batches device lookups by id into one metadata round trip', async () => {
    calls.findDevices = 0;
    calls.latest = 0;
    const selection = ids
      .slice(0, 20)
      .map((id, i) => `d${i}: device(id: "${id}") { name latest { value } }`)
      .join('\n');
    const result = await query({ query: `{ ${selection} }` });
    expect(result.errors).toBeUndefined();
    expect(Object.keys(result.data!)).toHaveLength(20);
    expect(calls.findDevices).toBe(1);
    expect(calls.latest).toBe(1);
  });

  it('answers a page of 100 devices asking the same telemetry question in one store call', async () => {
    calls.aggregateDevices = [];
    const result = await query({
      query: `{ devices(first: 100) { edges { node { id
        telemetry(metrics: ["temperature"], from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z", every: "1h", aggregates: [MEAN, COUNT]) {
          start metrics { metric mean count } } } } } }`,
    });
    expect(result.errors).toBeUndefined();
    const edges = (
      result.data!.devices as {
        edges: {
          node: { id: string; telemetry: { start: string; metrics: { mean: number }[] }[] };
        }[];
      }
    ).edges;
    expect(edges).toHaveLength(100);
    // Each device gets its own buckets: device i wrote temperature i.
    for (const { node } of edges) {
      expect(node.telemetry).toEqual([
        {
          start: '2026-01-01T00:00:00.000Z',
          metrics: [{ metric: 'temperature', mean: ids.indexOf(node.id), count: 1 }],
        },
      ]);
    }
    expect(calls.aggregateDevices).toEqual([100]);
  });

  it('makes one store call per distinct telemetry question in a request', async () => {
    calls.aggregateDevices = [];
    const result = await query({
      query: `{ devices(first: 10) { edges { node { id
        hourly: telemetry(metrics: ["temperature"], from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z", every: "1h") { start }
        minutes: telemetry(metrics: ["temperature"], from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z", every: "1m") { start }
        again: telemetry(metrics: ["temperature"], from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z", every: "1h") { start }
      } } } }`,
    });
    expect(result.errors).toBeUndefined();
    expect(calls.aggregateDevices).toEqual([10, 10]);
  });

  it('does not share loaders between requests', async () => {
    calls.latest = 0;
    await query({ query: `{ device(id: "${ids[0]}") { latest { value } } }` });
    await query({ query: `{ device(id: "${ids[0]}") { latest { value } } }` });
    expect(calls.latest).toBe(2);
  });
});
