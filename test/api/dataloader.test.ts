/**
 * DataLoader batching: a page of 100 devices with their latest values costs one telemetry-store
 * round trip and one metadata round trip, not 100 of each (real PGlite and DuckDB underneath;
 * the spies only count calls).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteRepositories } from '../../src/adapters/device-repository/pglite.js';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import type { ApiServices } from '../../src/api/context.js';
import { createGraphQLHandler } from '../../src/api/graphql.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { createJwtVerifier } from '../../src/auth/jwt.js';
import { createLogger } from '../../src/logger.js';
import { userToken } from '../support/tokens.js';

const ORG = 'org-dataloader';
const jwt = {
  secret: 'dataloader-test-secret-0123456789abcdef',
  issuer: 'iot-analytics',
  audience: 'iot-analytics-api',
};
const calls = { latest: 0, findDevices: 0 };
let services: ApiServices;
let yoga: ReturnType<typeof createGraphQLHandler>;
let token: string;
const ids: string[] = [];

beforeAll(async () => {
  const repositories = await createPgliteRepositories();
  const telemetry = await createDuckDbTelemetryStore({ path: ':memory:' });
  services = {
    devices: {
      ...repositories.devices,
      findDevices: (organizationId, deviceIds) => {
        calls.findDevices++;
        return repositories.devices.findDevices(organizationId, deviceIds);
      },
    },
    telemetry: {
      ...telemetry,
      latest: (organizationId, deviceIds) => {
        calls.latest++;
        return telemetry.latest(organizationId, deviceIds);
      },
    },
    live: createInProcessLiveHub(),
    apiKeys: repositories.apiKeys,
    alerts: repositories.alerts,
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
  yoga = createGraphQLHandler({
    services,
    settings: { deviceTokenGraceSeconds: 0 },
    authenticate: createAuthenticator({ jwt: createJwtVerifier(jwt) }),
    plugins: [],
    logger: createLogger('silent', 'test'),
  });
  token = await userToken(jwt, ORG, 'viewer');
}, 120_000);

afterAll(async () => {
  await services?.telemetry.close();
  await services?.devices.close();
});

async function query(body: object) {
  const response = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
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

  it('does not share loaders between requests', async () => {
    calls.latest = 0;
    await query({ query: `{ device(id: "${ids[0]}") { latest { value } } }` });
    await query({ query: `{ device(id: "${ids[0]}") { latest { value } } }` });
    expect(calls.latest).toBe(2);
  });
});
