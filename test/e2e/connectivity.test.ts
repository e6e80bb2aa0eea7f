/**
 * Device connectivity end to end on the real embedded app: NEVER_SEEN, ONLINE once a point is
 * received (whatever its own time), OFFLINE on time with no traffic at all, live over graphql-ws
 * (each transition once, filtered, in its organization only), timeouts per device and per type,
 * and deadlines that hold across a restart with another server timeout.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/viewer.js';
import {
  ConnectivityOverviewDocument,
  DeviceConnectivityDocument,
  DeviceTypesDocument,
  LiveConnectivityDocument,
  RegisterDeviceDocument,
  SetDeviceTypeDocument,
  UpdateDeviceDocument,
  type DeviceFilter,
  type LiveConnectivitySubscription,
  type RegisterDeviceInput,
} from '../generated/graphql.js';
import { makeDataDir, startEmbeddedApp } from '../support/embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { subscribeLive, untilLive } from '../support/live-subscription.js';
import { userToken } from '../support/tokens.js';
import { useEmbeddedApp, type EmbeddedApp } from '../support/use-embedded-app.js';

const ORG = 'org-connectivity';
const OTHER_ORG = 'org-connectivity-other';
const HOUR = 3_600_000;

// Sweeps often, so transitions come within a tenth of a second of their deadline.
const app = useEmbeddedApp({ CONNECTIVITY_SWEEP_MS: '50', HEARTBEAT_TIMEOUT_SECONDS: '3600' });

const as = async (target: Pick<EmbeddedApp, 'baseUrl' | 'jwt'>, role: Role, org = ORG) =>
  createGraphQLClient(target.baseUrl, await userToken(target.jwt, org, role));

const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

async function register(
  input: Partial<RegisterDeviceInput>,
  org = ORG,
  target: Pick<EmbeddedApp, 'baseUrl' | 'jwt'> = app,
) {
  const gql = await as(target, 'operator', org);
  const externalId = unique(input.externalId ?? 'device');
  const data = await expectData(
    gql(RegisterDeviceDocument, {
      input: { name: externalId, type: 'thermostat', ...input, externalId },
    }),
  );
  return { id: data.registerDevice.device.id, token: data.registerDevice.token };
}

async function send(token: string, ts: number, target: Pick<EmbeddedApp, 'baseUrl'> = app) {
  const response = await postTelemetry(
    target.baseUrl,
    token,
    JSON.stringify({ ts, metrics: { t: 20 } }),
  );
  expect(response.status).toBe(202);
}

async function connectivityOf(id: string, target: Pick<EmbeddedApp, 'baseUrl' | 'jwt'> = app) {
  const gql = await as(target, 'viewer');
  return (await expectData(gql(DeviceConnectivityDocument, { id }))).device;
}

/**
 * Subscribes to the organization's transitions matching `filter`, live once a canary matching it
 * (heartbeat 1 s) had a transition: it is sent a point a turn, each turn longer than its timeout.
 */
async function subscribe(filter: DeviceFilter, org = ORG) {
  const canary = await register(
    {
      externalId: 'canary',
      heartbeatTimeoutSeconds: 1,
      type: filter.type ?? 'thermostat',
      labels: filter.labels ?? [],
    },
    org,
  );
  const live = subscribeLive(
    app.baseUrl,
    await userToken(app.jwt, org, 'viewer'),
    { document: LiveConnectivityDocument, variables: { filter } },
    (data) => (data as LiveConnectivitySubscription).deviceConnectivity,
  );
  await untilLive(
    live,
    async () => {
      await send(canary.token, Date.now());
      await new Promise((resolve) => setTimeout(resolve, 1_300));
    },
    (transition) => transition.deviceId === canary.id,
  );
  return {
    of: (id: string) => live.received.filter((transition) => transition.deviceId === id),
    all: () => live.received.filter((transition) => transition.deviceId !== canary.id),
    errors: live.errors,
    close: live.close,
  };
}

describe('device connectivity', () => {
  it('goes NEVER_SEEN, ONLINE when a point is received, OFFLINE on time with no traffic, each transition live once', async () => {
    const room = { key: 'room', value: unique('lab') };
    const live = await subscribe({ labels: [room] });
    try {
      const device = await register({ heartbeatTimeoutSeconds: 3, labels: [room] });
      const elsewhere = await register({ heartbeatTimeoutSeconds: 3 });
      expect(await connectivityOf(device.id)).toMatchObject({
        lastSeenAt: null,
        heartbeatTimeoutSeconds: 3,
        connectivity: { state: 'NEVER_SEEN' },
      });

      // A point from an hour ago, received now: lastSeenAt and ONLINE go by the receipt.
      const sent = Date.now();
      await send(device.token, sent - HOUR);
      await send(elsewhere.token, sent - HOUR);
      const online = await eventually(
        async () => {
          const seen = await connectivityOf(device.id);
          return seen.connectivity.state === 'ONLINE' ? seen : undefined;
        },
        5_000,
        'the device to be ONLINE',
      );
      const lastSeen = Date.parse(online.lastSeenAt!);
      expect(lastSeen).toBeGreaterThanOrEqual(sent);
      expect(lastSeen).toBeLessThanOrEqual(Date.now());

      // Silent for its 3 s: OFFLINE since lastSeenAt + 3 s, with no request to prompt it.
      const offline = await eventually(
        async () => {
          const seen = await connectivityOf(device.id);
          return seen.connectivity.state === 'OFFLINE' ? seen : undefined;
        },
        8_000,
        'the device to be OFFLINE',
      );
      expect(Date.parse(offline.connectivity.since)).toBe(lastSeen + 3_000);

      // Live: both transitions, in order, once each; none of the device outside the filter.
      await eventually(
        async () => (live.of(device.id).length >= 2 ? true : undefined),
        5_000,
        'both transitions live',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(live.of(device.id)).toEqual([
        {
          deviceId: device.id,
          previous: 'NEVER_SEEN',
          state: 'ONLINE',
          since: expect.any(String),
          device: { id: device.id, externalId: expect.stringMatching(/^device-/) },
        },
        {
          deviceId: device.id,
          previous: 'ONLINE',
          state: 'OFFLINE',
          since: offline.connectivity.since,
          device: { id: device.id, externalId: expect.stringMatching(/^device-/) },
        },
      ]);
      expect(live.of(elsewhere.id)).toEqual([]);
      expect(live.errors).toEqual([]);

      // A point again: ONLINE again.
      await send(device.token, Date.now());
      await eventually(
        async () => (live.of(device.id).length === 3 ? true : undefined),
        5_000,
        'ONLINE again',
      );
      expect(live.of(device.id)[2]).toMatchObject({ previous: 'OFFLINE', state: 'ONLINE' });
    } finally {
      await live.close();
    }
  });

  it("counts and filters by state, and never shows another organization's transitions", async () => {
    const kind = unique('meter');
    const theirs = await subscribe({ type: kind }, OTHER_ORG);
    try {
      const online = await register({ type: kind });
      const never = await register({ type: kind });
      await send(online.token, Date.now());
      const gql = await as(app, 'viewer');
      const overview = await eventually(
        async () => {
          const data = await expectData(
            gql(ConnectivityOverviewDocument, { filter: { type: kind } }),
          );
          return data.fleet.connectivity.online === 1 ? data : undefined;
        },
        5_000,
        'the fleet counts',
      );
      expect(overview.fleet).toEqual({
        deviceCount: 2,
        connectivity: { online: 1, offline: 0, neverSeen: 1 },
      });
      const onlyNever = await expectData(
        gql(ConnectivityOverviewDocument, {
          filter: { type: kind, connectivity: ['NEVER_SEEN', 'OFFLINE'] },
        }),
      );
      expect(onlyNever.devices.edges.map((edge) => edge.node.id)).toEqual([never.id]);
      // Same type name in the other organization: its subscriber saw none of ours.
      expect(theirs.all()).toEqual([]);
    } finally {
      await theirs.close();
    }
  });

  it("takes its type's timeout unless it has its own, and checks the values", async () => {
    const kind = unique('gateway');
    const device = await register({ type: kind });
    await send(device.token, Date.now());
    await eventually(
      async () =>
        (await connectivityOf(device.id)).connectivity.state === 'ONLINE' ? 1 : undefined,
      5_000,
      'ONLINE',
    );
    const admin = await as(app, 'admin');
    await expectData(
      admin(SetDeviceTypeDocument, { input: { type: kind, heartbeatTimeoutSeconds: 1 } }),
    );
    await eventually(
      async () =>
        (await connectivityOf(device.id)).connectivity.state === 'OFFLINE' ? 1 : undefined,
      5_000,
      "OFFLINE by the type's 1 s",
    );
    expect((await expectData(admin(DeviceTypesDocument, {}))).deviceTypes).toContainEqual({
      type: kind,
      heartbeatTimeoutSeconds: 1,
    });
    // Its own hour wins: ONLINE again, without a point.
    await expectData(
      admin(UpdateDeviceDocument, { id: device.id, input: { heartbeatTimeoutSeconds: 3600 } }),
    );
    await eventually(
      async () =>
        (await connectivityOf(device.id)).connectivity.state === 'ONLINE' ? 1 : undefined,
      5_000,
      'ONLINE by its own hour',
    );

    for (const heartbeatTimeoutSeconds of [0, -5, 30 * 86_400 + 1]) {
      const refused = await admin(UpdateDeviceDocument, {
        id: device.id,
        input: { heartbeatTimeoutSeconds },
      });
      expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(refused.errors?.[0]?.message).toMatch(/heartbeatTimeoutSeconds must be/);
    }
    const viewer = await as(app, 'viewer');
    const forbidden = await viewer(SetDeviceTypeDocument, {
      input: { type: kind, heartbeatTimeoutSeconds: 5 },
    });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('device connectivity across a restart', () => {
  const dirs: { remove: () => Promise<void> }[] = [];
  afterAll(async () => {
    for (const dir of dirs) await dir.remove();
  });

  it('turns a device silent across the restart OFFLINE on time, by the timeout in force now', async () => {
    const dataDir = await makeDataDir();
    dirs.push(dataDir);
    const settings = { CONNECTIVITY_SWEEP_MS: '50' };
    const first = await startEmbeddedApp(dataDir.dir, {
      ...settings,
      HEARTBEAT_TIMEOUT_SECONDS: '3600',
    });
    let device: { id: string; token: string };
    try {
      device = await register({}, ORG, first);
      await send(device.token, Date.now(), first);
      await eventually(
        async () =>
          (await connectivityOf(device.id, first)).connectivity.state === 'ONLINE' ? 1 : undefined,
        5_000,
        'ONLINE before the restart',
      );
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedApp(dataDir.dir, {
      ...settings,
      HEARTBEAT_TIMEOUT_SECONDS: '2',
    });
    try {
      const offline = await eventually(
        async () => {
          const seen = await connectivityOf(device.id, second);
          return seen.connectivity.state === 'OFFLINE' ? seen : undefined;
        },
        8_000,
        'OFFLINE after the restart, with no traffic',
      );
      expect(Date.parse(offline.connectivity.since)).toBe(Date.parse(offline.lastSeenAt!) + 2_000);
    } finally {
      await second.stop();
    }
  });
});
