/**
 * Device connectivity in production, across real processes on the real engines: two pipeline
 * replicas sweep the same PostgreSQL, and a graphql-ws subscriber on the api (through Redis)
 * receives each device's ONLINE and OFFLINE exactly once, the OFFLINE on time with no traffic;
 * likewise each NO_DATA alert's FIRING and its resolution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAlertRuleDocument,
  LiveAlertEventsDocument,
  LiveConnectivityDocument,
  type LiveAlertEventsSubscription,
  RegisterDeviceDocument,
  type LiveConnectivitySubscription,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { subscribeLive, untilLive } from '../support/live-subscription.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();
const DEVICES = 20;
/**
 * The beacons' timeout: longer than a point can take from ingest through Kafka to lastSeenAt on
 * a loaded machine, or a beacon would be heard from only after its deadline, and go from
 * NEVER_SEEN straight to OFFLINE.
 */
const TIMEOUT_SECONDS = 3;

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

  async function register(externalId: string, heartbeatTimeoutSeconds: number) {
    const gql = createGraphQLClient(api.baseUrl, stack.adminToken);
    const data = await expectData(
      gql(RegisterDeviceDocument, {
        input: { externalId, name: externalId, type: 'beacon', heartbeatTimeoutSeconds },
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
    const live = subscribeLive(
      api.baseUrl,
      stack.adminToken,
      { document: LiveConnectivityDocument, variables: { filter: { type: 'beacon' } } },
      (data) => (data as LiveConnectivitySubscription).deviceConnectivity,
    );
    const received = live.received;
    try {
      // A canary, sent a point each turn longer than its 1 s timeout: a transition each way.
      const canary = await register('canary', 1);
      await untilLive(
        live,
        async () => {
          await send(canary.token);
          await new Promise((resolve) => setTimeout(resolve, 1_300));
        },
        (transition) => transition.deviceId === canary.id,
        'the connectivity subscription to be live',
        30_000,
      );

      const devices = await Promise.all(
        Array.from({ length: DEVICES }, (_, i) => register(`beacon-${i}`, TIMEOUT_SECONDS)),
      );
      const sent = Date.now();
      await Promise.all(devices.map((device) => send(device.token)));
      const of = (id: string) => received.filter((transition) => transition.deviceId === id);
      await eventually(
        async () => (devices.every((device) => of(device.id).length >= 2) ? true : undefined),
        30_000,
        'every device ONLINE, then OFFLINE',
      );
      // Two more sweep rounds of both replicas, for any duplicate to show.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const device of devices) {
        const [online, offline, ...more] = of(device.id);
        expect(more).toEqual([]);
        expect(online).toMatchObject({ previous: 'NEVER_SEEN', state: 'ONLINE' });
        expect(offline).toMatchObject({ previous: 'ONLINE', state: 'OFFLINE' });
        // On time: its deadline is its receipt plus its timeout.
        const deadline = Date.parse(offline!.since);
        expect(deadline).toBeGreaterThanOrEqual(sent + TIMEOUT_SECONDS * 1_000);
        expect(deadline).toBeLessThanOrEqual(Date.now());
      }
    } finally {
      await live.close();
    }
  }, 90_000);

  it('fires each NO_DATA silence once across both replicas, on time, and resolves it once', async () => {
    const gql = createGraphQLClient(api.baseUrl, stack.adminToken);
    await expectData(
      gql(CreateAlertRuleDocument, {
        input: {
          name: 'silent',
          kind: 'NO_DATA',
          forDuration: `${TIMEOUT_SECONDS}s`,
          deviceType: 'quiet',
        },
      }),
    );
    const events = subscribeLive(
      api.baseUrl,
      stack.adminToken,
      { document: LiveAlertEventsDocument },
      (data) => (data as LiveAlertEventsSubscription).alertEvents,
    );
    try {
      const quiet = async (externalId: string) => {
        const data = await expectData(
          gql(RegisterDeviceDocument, { input: { externalId, name: externalId, type: 'quiet' } }),
        );
        return { id: data.registerDevice.device.id, token: data.registerDevice.token };
      };
      const canary = await quiet('quiet-canary');
      await untilLive(
        events,
        async () => {
          await send(canary.token);
          await new Promise((resolve) => setTimeout(resolve, (TIMEOUT_SECONDS + 1) * 1_000));
        },
        (event) => event.episode.deviceId === canary.id && event.kind === 'FIRING',
        'the alertEvents subscription to be live',
        60_000,
      );
      const devices = await Promise.all(
        Array.from({ length: DEVICES }, (_, i) => quiet(`quiet-${i}`)),
      );
      const sent = Date.now();
      await Promise.all(devices.map((device) => send(device.token)));
      const of = (id: string, kind: string) =>
        events.received.filter((event) => event.episode.deviceId === id && event.kind === kind);
      await eventually(
        async () =>
          devices.every((device) => of(device.id, 'FIRING').length >= 1) ? true : undefined,
        30_000,
        'every silence to fire',
      );
      await Promise.all(devices.map((device) => send(device.token)));
      await eventually(
        async () =>
          devices.every((device) => of(device.id, 'RESOLVED').length >= 1) ? true : undefined,
        30_000,
        'every silence to resolve',
      );
      // Two more sweep rounds of both replicas, for any duplicate to show.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const device of devices) {
        const [fired, ...more] = of(device.id, 'FIRING');
        expect(more).toEqual([]);
        expect(of(device.id, 'RESOLVED')).toHaveLength(1);
        const startedAt = Date.parse(fired!.episode.startedAt);
        expect(startedAt).toBeGreaterThanOrEqual(sent + TIMEOUT_SECONDS * 1_000);
      }
    } finally {
      await events.close();
    }
  }, 120_000);
});
