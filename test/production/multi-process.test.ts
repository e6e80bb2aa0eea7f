/**
 * Production end to end across real processes on the real engines: one `ingest`, one `pipeline`
 * and two `api` processes. Points posted to ingest are queryable through both APIs, and a
 * subscriber on each API receives them live (Redis fan-out across replicas).
 */
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceDocument,
  LiveTelemetryDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  type LiveTelemetrySubscription,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();

describe.skipIf(!services)('production processes', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  const roles: RunningRole[] = [];
  let ingest: RunningRole;
  let pipeline: RunningRole;
  let apis: RunningRole[];

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    [ingest, pipeline, ...apis] = await Promise.all([
      startRole('ingest', stack.env),
      startRole('pipeline', stack.env),
      startRole('api', stack.env),
      startRole('api', stack.env),
    ]);
    roles.push(ingest, pipeline, ...apis);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(roles.map((role) => role.stop()));
    await stack?.cleanup();
  });

  it('answers /health and /ready on every process', async () => {
    for (const role of [ingest, ...apis]) {
      expect((await fetch(`${role.baseUrl}/health`)).status).toBe(200);
      const ready = await fetch(`${role.baseUrl}/ready`);
      expect(ready.status, `${role.role} ready: ${await ready.clone().text()}`).toBe(200);
    }
  });

  it('stores points posted to ingest, serves them from both APIs and streams them to subscribers of both', async () => {
    const register = await expectData(
      createGraphQLClient(apis[0]!.baseUrl, stack.adminToken)(RegisterDeviceDocument, {
        input: { externalId: 'prod-1', name: 'Production sensor', type: 'thermometer' },
      }),
    );
    const { id } = register.registerDevice.device;
    const deviceToken = register.registerDevice.token;

    const received = apis.map(() => [] as LiveTelemetrySubscription['telemetry'][]);
    const clients = apis.map((api, index) => {
      const client = liveClient(api.baseUrl, stack.adminToken);
      client.subscribe(
        { query: print(LiveTelemetryDocument), variables: { deviceIds: [id] } },
        {
          next: (message) => {
            if (message.data)
              received[index]!.push((message.data as LiveTelemetrySubscription).telemetry);
          },
          error: () => undefined,
          complete: () => undefined,
        },
      );
      return client;
    });
    try {
      const base = Date.UTC(2026, 5, 1);
      let sent = 0;
      let lastSent = 0;
      await eventually(
        async () => {
          // Keep sending until both subscriptions are registered and delivering.
          const body = JSON.stringify({
            ts: base + sent,
            metrics: { temperature: 20 + sent, seq: sent },
          });
          lastSent = Date.now();
          const response = await postTelemetry(ingest.baseUrl, deviceToken, body);
          expect(response.status).toBe(202);
          sent++;
          await new Promise((resolve) => setTimeout(resolve, 200));
          return received.every((points) => points.length > 0) ? true : undefined;
        },
        20_000,
        'live points on both APIs',
      );
      await eventually(
        async () => ((await stack.countStoredPoints(id)) === sent ? true : undefined),
        15_000,
        'stored points',
      );

      for (const api of apis) {
        const gql = createGraphQLClient(api.baseUrl, stack.adminToken);
        const raw = await expectData(
          gql(RawTelemetryDocument, {
            id,
            from: new Date(base).toISOString(),
            to: new Date(base + 1_000_000).toISOString(),
            first: 1000,
          }),
        );
        expect(raw.device.rawTelemetry.edges).toHaveLength(sent);
        const latest = await expectData(gql(DeviceDocument, { id }));
        expect(latest.device.latest).toContainEqual({
          metric: 'temperature',
          value: 20 + sent - 1,
          ts: new Date(base + sent - 1).toISOString(),
        });
      }
      for (const points of received) {
        expect(points.every((point) => point.deviceId === id)).toBe(true);
      }
      // lastSeenAt is written behind by the pipeline: when ingest received the newest point
      // (carried through Kafka), not that point's own time.
      await eventually(
        async () => {
          const device = await expectData(
            createGraphQLClient(apis[1]!.baseUrl, stack.adminToken)(DeviceDocument, { id }),
          );
          const seen = Date.parse(device.device.lastSeenAt ?? '');
          return seen >= lastSent && seen <= Date.now() ? true : undefined;
        },
        10_000,
        'lastSeenAt',
      );
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });

  it('shuts every process down cleanly on SIGTERM (exit code 0)', async () => {
    const codes = await Promise.all(roles.map((role) => role.stop()));
    expect(codes).toEqual(roles.map(() => 0));
  });

  it('refuses to start production without its required settings, listing each', async () => {
    const refused = await startRole(
      'api',
      { JWT_SECRET: '', DATABASE_URL: '', KAFKA_BROKERS: '' },
      15_000,
    ).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(refused).toMatch(
      /JWT_SECRET: JWT_SECRET or JWT_JWKS_URL is required[\s\S]*DATABASE_URL: is required[\s\S]*REDIS_URL: is required[\s\S]*KAFKA_BROKERS: is required/,
    );
    // What a role does not use is not asked for: test/config.test.ts, per role.
  });
});
