/**
 * Grouped live fan-out over real graphql-ws connections: the API as the embedded app assembles
 * it (yoga with the product's plugins, graphql-ws on the same server, JWT and API key auth, rate
 * limits, PGlite, the in-process live hub), with two counters the product does not have: how
 * many results the subscriptions' executions produced (an envelop plugin's onNext) and how many
 * live hub listeners are open. Identical subscribers must cost one execution and one listener
 * per event; anything that could change what a subscriber may see (variables, organization,
 * permissions) must never share, and every subscriber is admitted by its own subscribe.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { createInProcessRateLimiter } from '../../src/adapters/rate-limiter/in-process-rate-limiter.js';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import type { ApiServices, GraphQLContext } from '../../src/schema/context.js';
import { createGraphQLHandler } from '../../src/api/graphql.js';
import { createGraphQLPlugins } from '../../src/api/graphql-plugins.js';
import { attachGraphQLWebSocket } from '../../src/api/websocket.js';
import { createApiKeyVerifier, generateApiKey } from '../../src/auth/api-keys.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { createJwtVerifier, signUserToken } from '../../src/auth/jwt.js';
import { loadConfig } from '../../src/config/index.js';
import type { AlertEvent } from '../../src/domain/alerts.js';
import { createRateLimitPolicy } from '../../src/http/rate-limit-policy.js';
import { createLogger } from '../../src/logger.js';
import type { ApiKeyScope } from '../../src/ports/api-key-repository.js';
import type { LiveHub } from '../../src/ports/live-hub.js';
import { eventually } from '../support/graphql-client.js';
import { userToken } from '../support/tokens.js';

const ORG_A = 'org-fanout-a';
const ORG_B = 'org-fanout-b';
/** Users of this organization may open two operations, then are rate limited. */
const ORG_LIMITED = 'org-fanout-limited';
const jwt = {
  secret: 'live-fanout-test-secret-0123456789abcdef',
  issuer: 'iot-analytics',
  audience: 'iot-analytics-api',
};

const TELEMETRY = `subscription LiveTelemetry($deviceIds: [ID!]!) {
  telemetry(deviceIds: $deviceIds) { deviceId ts metrics { metric value } }
}`;
const ALERTS = 'subscription { alerts { ruleId deviceId status } }';

/** Results produced by subscription executions (one per execution of an event). */
const executed: ExecutionResult[] = [];
const countExecutions: Plugin<GraphQLContext> = {
  onSubscribe: () => ({
    onSubscribeResult: () => ({ onNext: ({ result }) => void executed.push(result) }),
  }),
};
const listeners = { telemetry: 0, alerts: 0 };

let services: ApiServices;
let server: Server;
let websocket: ReturnType<typeof attachGraphQLWebSocket>;
let wsUrl: string;
const devices: Record<string, string> = {};
const closers: (() => void)[] = [];

/** A live hub that counts its open listeners. */
function countingLiveHub(hub: LiveHub): LiveHub {
  const counted =
    <A extends unknown[]>(
      kind: keyof typeof listeners,
      subscribe: (...args: A) => Promise<() => void>,
    ) =>
    async (...args: A) => {
      const unsubscribe = await subscribe(...args);
      listeners[kind]++;
      let open = true;
      return () => {
        if (open) listeners[kind]--;
        open = false;
        unsubscribe();
      };
    };
  return {
    ...hub,
    subscribe: counted('telemetry', hub.subscribe),
    subscribeAlerts: counted('alerts', hub.subscribeAlerts),
  };
}

beforeAll(async () => {
  const repositories = await createPgliteDatabase();
  const telemetry = await createDuckDbTelemetryStore({ path: ':memory:' });
  const hub = createInProcessLiveHub();
  services = {
    devices: repositories.devices,
    telemetry,
    live: countingLiveHub(hub),
    apiKeys: repositories.apiKeys,
    alerts: repositories.alerts,
    notifications: repositories.notifications,
  };
  for (const org of [ORG_A, ORG_B, ORG_LIMITED]) {
    await services.devices.ensureOrganization(org, org);
    for (const name of ['one', 'two']) {
      const device = await services.devices.createDevice(
        { organizationId: org, externalId: name, name: `${org} ${name}`, type: 'sensor' },
        `hash-${org}-${name}`,
      );
      devices[`${org} ${name}`] = device.id;
    }
  }
  const config = loadConfig({ DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent' });
  const apiKeyVerifier = createApiKeyVerifier({ repository: repositories.apiKeys });
  const authenticate = createAuthenticator({
    jwt: createJwtVerifier(jwt),
    apiKey: apiKeyVerifier.verify,
  });
  const limiter = createInProcessRateLimiter();
  const rateLimits = createRateLimitPolicy({
    limiter,
    settings: {
      ...config.rateLimits,
      byOrganization: { [ORG_LIMITED]: { user: { perSecond: 0.0001, burst: 2 } } },
    },
  });
  const yoga = createGraphQLHandler({
    services,
    settings: { deviceTokenGraceSeconds: 0, maxCost: 20_000, notificationAllowedNetworks: [] },
    authenticate,
    plugins: [...createGraphQLPlugins({ graphql: config.graphql, rateLimits }), countExecutions],
    logger: createLogger('silent', 'test'),
    rateLimits,
  });
  server = createServer(yoga);
  websocket = attachGraphQLWebSocket(server, yoga, authenticate, {
    maxPayloadBytes: config.graphql.maxBodyBytes,
    rateLimits,
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  closers.push(
    () => void apiKeyVerifier.close(),
    () => void limiter.close(),
    () => void telemetry.close(),
    () => void repositories.close(),
  );
}, 120_000);

afterAll(async () => {
  await websocket?.close();
  server?.close();
  for (const close of closers) close();
});

beforeEach(() => {
  executed.length = 0;
});

interface Message {
  id?: string;
  type: string;
  payload?: {
    data?: {
      telemetry?: { deviceId: string; metrics: { metric: string; value: unknown }[] };
      alerts?: { ruleId: string; deviceId: string; device?: { name: string } | null };
    };
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

/** A graphql-transport-ws connection spoken by hand, so every message and id is visible. */
async function connect(token: string) {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const messages: Message[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await once(socket, 'open');
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }),
  );
  await eventually(async () =>
    messages.some((m) => m.type === 'connection_ack') ? true : undefined,
  );
  let pings = 0;
  const connection = {
    socket,
    messages,
    closed,
    subscribe(id: string, query: string, variables: Record<string, unknown> = {}) {
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      return { connection, id };
    },
    /** Sends `complete`; resolves once the server has handled it (a ping after it is answered). */
    async complete(id: string) {
      socket.send(JSON.stringify({ id, type: 'complete' }));
      const payload = { n: ++pings };
      socket.send(JSON.stringify({ type: 'ping', payload }));
      await eventually(async () =>
        messages.some(
          (m) => m.type === 'pong' && (m.payload as unknown as { n: number })?.n === payload.n,
        )
          ? true
          : undefined,
      );
    },
  };
  closers.push(() => socket.terminate());
  return connection;
}

type Subscription = ReturnType<Awaited<ReturnType<typeof connect>>['subscribe']>;

const messagesOf = (subscription: Subscription) =>
  subscription.connection.messages.filter((m) => m.id === subscription.id);

/** The `seq` values of the telemetry points a subscription received, in order. */
const seqsOf = (subscription: Subscription) =>
  messagesOf(subscription).flatMap((m) =>
    (m.payload?.data?.telemetry?.metrics ?? [])
      .filter((r) => r.metric === 'seq')
      .map((r) => r.value),
  );

const point = (org: string, device: string, metrics: Record<string, number>) => ({
  orgId: org,
  deviceId: devices[`${org} ${device}`]!,
  ts: Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 1e9),
  metrics,
});

/**
 * Until every subscription is live: publishes probe points (metric `probe`, never `seq`) to the
 * device until each of them has received one.
 */
async function awaitLive(org: string, device: string, subscriptions: Subscription[]) {
  let probe = 0;
  await eventually(async () => {
    await services.live.publish([point(org, device, { probe: ++probe })]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return subscriptions.every((s) =>
      messagesOf(s).some((m) =>
        m.payload?.data?.telemetry?.metrics.some((r) => r.metric === 'probe'),
      ),
    )
      ? true
      : undefined;
  });
}

/** Results executed for the `seq` points (probes left out). */
const executedSeqs = () =>
  executed.filter((result) => JSON.stringify(result.data).includes('"metric":"seq"')).length;

const viewerOf = (org: string, subject: string) =>
  signUserToken(jwt, { subject, organizationId: org, role: 'viewer' }, '1h');

async function apiKey(org: string, scopes: ApiKeyScope[]) {
  const { key, keyHash, prefix } = generateApiKey();
  await services.apiKeys.createApiKey({
    organizationId: org,
    name: 'dashboard',
    scopes,
    keyHash,
    prefix,
  });
  return key;
}

describe('identical subscribers', () => {
  it('share one execution and one live hub listener per event, each getting every event with its own id', async () => {
    // Two users, an API key granted exactly a viewer's permissions, and one connection
    // subscribing twice; the document is written differently each time.
    const alice = await connect(await viewerOf(ORG_A, 'alice'));
    const bob = await connect(await viewerOf(ORG_A, 'bob'));
    const key = await connect(
      await apiKey(ORG_A, ['READ_DEVICES', 'READ_TELEMETRY', 'READ_ALERTS']),
    );
    const variables = { deviceIds: [devices[`${ORG_A} one`]] };
    const subscriptions = [
      alice.subscribe('a1', TELEMETRY, variables),
      alice.subscribe('a2', `# the same\n${TELEMETRY.replace(/\s+/g, '  ')}`, variables),
      bob.subscribe('b', TELEMETRY, variables),
      key.subscribe('k', TELEMETRY, variables),
    ];
    await awaitLive(ORG_A, 'one', subscriptions);
    expect(listeners.telemetry).toBe(1);

    for (const seq of [1, 2, 3]) await services.live.publish([point(ORG_A, 'one', { seq })]);
    await eventually(async () =>
      subscriptions.every((s) => seqsOf(s).length === 3) ? true : undefined,
    );

    for (const subscription of subscriptions) expect(seqsOf(subscription)).toEqual([1, 2, 3]);
    // One execution per event for all four, not one per subscriber.
    expect(executedSeqs()).toBe(3);
    expect(listeners.telemetry).toBe(1);

    for (const subscription of subscriptions)
      await subscription.connection.complete(subscription.id);
    await eventually(async () => (listeners.telemetry === 0 ? true : undefined));
  });

  it('keep going when a member leaves; the last one to leave releases the source', async () => {
    const variables = { deviceIds: [devices[`${ORG_A} two`]] };
    const completing = (await connect(await viewerOf(ORG_A, 'c1'))).subscribe(
      'c',
      TELEMETRY,
      variables,
    );
    const closing = (await connect(await viewerOf(ORG_A, 'c2'))).subscribe(
      'c',
      TELEMETRY,
      variables,
    );
    const staying = (await connect(await viewerOf(ORG_A, 'c3'))).subscribe(
      'c',
      TELEMETRY,
      variables,
    );
    await awaitLive(ORG_A, 'two', [completing, closing, staying]);

    await completing.connection.complete('c');
    await services.live.publish([point(ORG_A, 'two', { seq: 1 })]);
    await eventually(async () => (seqsOf(staying).length === 1 ? true : undefined));
    expect(seqsOf(closing)).toEqual([1]);
    expect(seqsOf(completing)).toEqual([]);

    closing.connection.socket.close(1000);
    await closing.connection.closed;
    await services.live.publish([point(ORG_A, 'two', { seq: 2 })]);
    await eventually(async () => (seqsOf(staying).length === 2 ? true : undefined));
    expect(seqsOf(staying)).toEqual([1, 2]);
    expect(listeners.telemetry).toBe(1);

    // The source stays open while anyone is left, and closes with the last (the socket closed
    // above left too, or this would not reach 0).
    await staying.connection.complete('c');
    await eventually(async () => (listeners.telemetry === 0 ? true : undefined));

    // Someone new starts a new group.
    const newcomer = (await connect(await viewerOf(ORG_A, 'c4'))).subscribe(
      'n',
      TELEMETRY,
      variables,
    );
    await awaitLive(ORG_A, 'two', [newcomer]);
    await services.live.publish([point(ORG_A, 'two', { seq: 3 })]);
    await eventually(async () => (seqsOf(newcomer).length === 1 ? true : undefined));
    expect(listeners.telemetry).toBe(1);
    await newcomer.connection.complete('n');
  });

  it('keep going when the member that opened the source loses its credential (4401)', async () => {
    const variables = { deviceIds: [devices[`${ORG_B} two`]] };
    const expiring = await signUserToken(
      jwt,
      { subject: 'short', organizationId: ORG_B, role: 'viewer' },
      Math.floor(Date.now() / 1000) + 2,
    );
    const first = (await connect(expiring)).subscribe('s', TELEMETRY, variables);
    await awaitLive(ORG_B, 'two', [first]);
    const second = (await connect(await viewerOf(ORG_B, 'long'))).subscribe(
      's',
      TELEMETRY,
      variables,
    );
    await awaitLive(ORG_B, 'two', [second]);

    expect(await first.connection.closed).toBe(4401);
    await services.live.publish([point(ORG_B, 'two', { seq: 1 })]);
    await eventually(async () => (seqsOf(second).length === 1 ? true : undefined));
    expect(listeners.telemetry).toBe(1);
    await second.connection.complete('s');
    await eventually(async () => (listeners.telemetry === 0 ? true : undefined));
  });
});

describe('subscribers that must not share', () => {
  it('different variables: each group gets only its own devices’ events', async () => {
    const connection = await connect(await viewerOf(ORG_A, 'vars'));
    const [one, two] = [devices[`${ORG_A} one`], devices[`${ORG_A} two`]];
    const onlyOne = connection.subscribe('one', TELEMETRY, { deviceIds: [one] });
    const onlyTwo = connection.subscribe('two', TELEMETRY, { deviceIds: [two] });
    const both = connection.subscribe('both', TELEMETRY, { deviceIds: [one, two] });
    await awaitLive(ORG_A, 'one', [onlyOne, both]);
    await awaitLive(ORG_A, 'two', [onlyTwo, both]);

    await services.live.publish([point(ORG_A, 'one', { seq: 1 })]);
    await services.live.publish([point(ORG_A, 'two', { seq: 2 })]);
    await eventually(async () => (seqsOf(both).length === 2 ? true : undefined));
    expect(seqsOf(onlyOne)).toEqual([1]);
    expect(seqsOf(onlyTwo)).toEqual([2]);
    // Each event was executed by the two groups that watch its device.
    expect(executedSeqs()).toBe(4);
    for (const id of ['one', 'two', 'both']) await connection.complete(id);
  });

  it('different organizations: the same alerts subscription never sees the other’s events', async () => {
    const inA = (await connect(await viewerOf(ORG_A, 'alerts'))).subscribe('al', ALERTS);
    const inB = (await connect(await viewerOf(ORG_B, 'alerts'))).subscribe('al', ALERTS);
    const alert = (org: string, ruleId: string): AlertEvent => ({
      organizationId: org,
      ruleId,
      deviceId: devices[`${org} one`]!,
      status: 'FIRING',
      value: 1,
      ts: Date.now(),
      episodeId: crypto.randomUUID(),
    });
    await eventually(async () => {
      await services.live.publishAlerts([alert(ORG_A, 'probe-a'), alert(ORG_B, 'probe-b')]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return messagesOf(inA).length > 0 && messagesOf(inB).length > 0 ? true : undefined;
    });
    expect(listeners.alerts).toBe(2);

    await services.live.publishAlerts([alert(ORG_A, 'only-a')]);
    await services.live.publishAlerts([alert(ORG_B, 'only-b')]);
    const ruleIds = (s: Subscription) =>
      messagesOf(s)
        .map((m) => m.payload?.data?.alerts?.ruleId)
        .filter((id) => !id?.startsWith('probe'));
    await eventually(async () =>
      ruleIds(inB).length === 1 && ruleIds(inA).length === 1 ? true : undefined,
    );
    // B's first event after the probes is its own: A's, published before it, never reached it.
    expect(ruleIds(inA)).toEqual(['only-a']);
    expect(ruleIds(inB)).toEqual(['only-b']);
    await inA.connection.complete('al');
    await inB.connection.complete('al');
  });

  it('different organizations: a foreign device id is NOT_FOUND even while its group is live', async () => {
    const variables = { deviceIds: [devices[`${ORG_A} one`]] };
    const owner = (await connect(await viewerOf(ORG_A, 'owner'))).subscribe(
      't',
      TELEMETRY,
      variables,
    );
    await awaitLive(ORG_A, 'one', [owner]);
    const foreign = (await connect(await viewerOf(ORG_B, 'intruder'))).subscribe(
      't',
      TELEMETRY,
      variables,
    );
    await eventually(async () =>
      messagesOf(foreign).some((m) => m.type === 'complete') ? true : undefined,
    );
    await services.live.publish([point(ORG_A, 'one', { seq: 1 })]);
    await eventually(async () => (seqsOf(owner).length === 1 ? true : undefined));
    expect(
      messagesOf(foreign).map((m) => [m.type, m.payload?.errors?.[0]?.extensions?.code]),
    ).toEqual([
      ['next', 'NOT_FOUND'],
      ['complete', undefined],
    ]);
    await owner.connection.complete('t');
  });

  it('different permissions: a field one viewer may not read stays FORBIDDEN for them', async () => {
    // Same organization, same document: a user may read the device, a READ_ALERTS key may not.
    const query = 'subscription { alerts { ruleId device { name } } }';
    const user = (await connect(await viewerOf(ORG_B, 'perm-user'))).subscribe('p', query);
    const key = (await connect(await apiKey(ORG_B, ['READ_ALERTS']))).subscribe('p', query);
    const alert = (ruleId: string): AlertEvent => ({
      organizationId: ORG_B,
      ruleId,
      deviceId: devices[`${ORG_B} one`]!,
      status: 'OK',
      value: 0,
      ts: Date.now(),
      episodeId: crypto.randomUUID(),
    });
    await eventually(async () => {
      await services.live.publishAlerts([alert('probe')]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return messagesOf(user).length > 0 && messagesOf(key).length > 0 ? true : undefined;
    });
    await services.live.publishAlerts([alert('rule-1')]);
    const last = (s: Subscription) =>
      messagesOf(s).find((m) => m.payload?.data?.alerts?.ruleId === 'rule-1');
    await eventually(async () => (last(user) && last(key) ? true : undefined));
    expect(last(user)!.payload).toEqual({
      data: { alerts: { ruleId: 'rule-1', device: { name: `${ORG_B} one` } } },
    });
    expect(last(key)!.payload?.data?.alerts?.device).toBeNull();
    expect(last(key)!.payload?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await user.connection.complete('p');
    await key.connection.complete('p');
  });

  it('a key without telemetry:read is refused though its document’s group is live', async () => {
    const variables = { deviceIds: [devices[`${ORG_B} one`]] };
    const reader = (await connect(await viewerOf(ORG_B, 'reader'))).subscribe(
      't',
      TELEMETRY,
      variables,
    );
    await awaitLive(ORG_B, 'one', [reader]);
    const devicesOnly = (await connect(await apiKey(ORG_B, ['READ_DEVICES']))).subscribe(
      't',
      TELEMETRY,
      variables,
    );
    await eventually(async () =>
      messagesOf(devicesOnly).some((m) => m.type === 'complete') ? true : undefined,
    );
    await services.live.publish([point(ORG_B, 'one', { seq: 1 })]);
    await eventually(async () => (seqsOf(reader).length === 1 ? true : undefined));
    expect(
      messagesOf(devicesOnly).map((m) => [m.type, m.payload?.errors?.[0]?.extensions?.code]),
    ).toEqual([
      ['next', 'FORBIDDEN'],
      ['complete', undefined],
    ]);
    await reader.connection.complete('t');
  });

  it('every member is charged its own subscribe: the one over the rate limit is refused', async () => {
    // Users of ORG_LIMITED may open two operations each.
    const variables = { deviceIds: [devices[`${ORG_LIMITED} one`]] };
    const connection = await connect(await userToken(jwt, ORG_LIMITED, 'viewer'));
    const first = connection.subscribe('1', TELEMETRY, variables);
    const second = connection.subscribe('2', TELEMETRY, variables);
    await awaitLive(ORG_LIMITED, 'one', [first, second]);
    const third = connection.subscribe('3', TELEMETRY, variables);
    await eventually(async () =>
      messagesOf(third).some((m) => m.type === 'complete') ? true : undefined,
    );
    expect(messagesOf(third)[0]?.payload?.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    await services.live.publish([point(ORG_LIMITED, 'one', { seq: 1 })]);
    await eventually(async () => (seqsOf(second).length === 1 ? true : undefined));
    expect(seqsOf(first)).toEqual([1]);
    expect(seqsOf(third)).toEqual([]);
    await connection.complete('1');
    await connection.complete('2');
  });
});
