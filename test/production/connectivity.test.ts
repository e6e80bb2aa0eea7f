/**
 * Device connectivity in production, across real processes on the real engines: two pipeline
 * replicas sweep the same PostgreSQL, and a graphql-ws subscriber on the api (through Redis)
 * receives each device's ONLINE and OFFLINE exactly once, the OFFLINE on time with no traffic.
 */
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LiveConnectivityDocument,
  RegisterDeviceDocument,
  type LiveConnectivitySubscription,
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

type Transition = LiveConnectivitySubscription['deviceConnectivity'];

const services = await findProductionServices();
const DEVICES = 20;

describe.skipIf(!services)('production connectivity with two pipeline replicas', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  const roles: RunningRole[] = [];
  let ingest: RunningRole;
  let api: RunningRole;

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    const env = { ...stack.env, CONNECTIVITY_SWEEP_MS: '50', LAST_SEEN_FLUSH_MS: '100' };
    const started = await Promise.all([
      startRole('ingest', env),
      startRole('api', env),
      startRole('pipeline', env),
      startRole('pipeline', env),
    ]);
    [ingest, api] = started;
    roles.push(...started);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(roles.map((role) => role.stop()));
    await stack?.cleanup();
  });

  async function register(externalId: string) {
    const gql = createGraphQLClient(api.baseUrl, stack.adminToken);
    const data = await expectData(
      gql(RegisterDeviceDocument, {
        input: { externalId, name: externalId, type: 'beacon', heartbeatTimeoutSeconds: 1 },
      }),
    );
    return { id: data.registerDevice.device.id, token: data.registerDevice.token };
  }

  async function send(token: string) {
    const response = await postTelemetry(
      ingest.baseUrl,
      token,
      JSON.stringify({ ts: Date.now(), metrics: { rssi: -60 } }),
    );
    expect(response.status).toBe(202);
  }

  it('raises each transition once, OFFLINE on time with no traffic', async () => {
    const client = liveClient(api.baseUrl, stack.adminToken);
    const received: Transition[] = [];
    client.subscribe(
      { query: print(LiveConnectivityDocument), variables: { filter: { type: 'beacon' } } },
      {
        next: (message) => {
          if (message.data) {
            received.push((message.data as LiveConnectivitySubscription).deviceConnectivity);
          }
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    try {
      // graphql-ws does not acknowledge a subscription: a canary, sent a point each turn longer
      // than its 1 s timeout, until one of its transitions arrives.
      const canary = await register('canary');
      await eventually(
        async () => {
          await send(canary.token);
          await new Promise((resolve) => setTimeout(resolve, 1_300));
          return received.some((t) => t.deviceId === canary.id) ? true : undefined;
        },
        30_000,
        'the connectivity subscription to be live',
      );

      const devices = await Promise.all(
        Array.from({ length: DEVICES }, (_, i) => register(`beacon-${i}`)),
      );
      const sent = Date.now();
      await Promise.all(devices.map((device) => send(device.token)));
      const of = (id: string) => received.filter((transition) => transition.deviceId === id);
      await eventually(
        async () => (devices.every((device) => of(device.id).length >= 2) ? true : undefined),
        15_000,
        'every device ONLINE, then OFFLINE',
      );
      // Two more sweep rounds of both replicas, for any duplicate to show.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const device of devices) {
        const [online, offline, ...more] = of(device.id);
        expect(more).toEqual([]);
        expect(online).toMatchObject({ previous: 'NEVER_SEEN', state: 'ONLINE' });
        expect(offline).toMatchObject({ previous: 'ONLINE', state: 'OFFLINE' });
        // On time: its deadline is its receipt plus 1 s.
        const deadline = Date.parse(offline!.since);
        expect(deadline).toBeGreaterThanOrEqual(sent + 1_000);
        expect(deadline).toBeLessThanOrEqual(Date.now());
      }
    } finally {
      await client.dispose();
    }
  }, 90_000);
});
