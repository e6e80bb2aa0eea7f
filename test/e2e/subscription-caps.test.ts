/**
 * Subscription caps on the real embedded app (issue 7): a graphql-ws connection holds at most
 * GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION active subscriptions and a user at most
 * GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER across its sockets and SSE streams. A subscribe over either
 * is refused with TOO_MANY_SUBSCRIPTIONS while everything else goes on, and every way a
 * subscription ends gives its slots back.
 */
import { print } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION } from '../../src/app/embedded.js';
import { signUserToken } from '../../src/auth/jwt.js';
import { LiveTelemetryDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { openConnection, type Connection, type WsError } from '../support/graphql-ws-connection.js';
import { subscribeOverSse as openSse } from '../support/sse-subscription.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const PER_CONNECTION = 4;
const PER_USER = 6;

const app = useEmbeddedApp({
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(PER_CONNECTION),
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: String(PER_USER),
});
const LIVE = print(LiveTelemetryDocument);
let device: { id: string; token: string };

beforeAll(async () => {
  const admin = createGraphQLClient(app.baseUrl, app.adminToken);
  const registered = await expectData(
    admin(RegisterDeviceDocument, {
      input: { externalId: 'caps', name: 'Caps sensor', type: 'thermometer' },
    }),
  );
  device = { id: registered.registerDevice.device.id, token: registered.registerDevice.token };
});

const userToken = (subject: string, expiresIn: string | number = '1h') =>
  signUserToken(
    app.jwt,
    { subject, organizationId: DEFAULT_ORGANIZATION.id, role: 'viewer' },
    expiresIn,
  );

const postPoint = () =>
  postTelemetry(
    app.baseUrl,
    device.token,
    JSON.stringify({ ts: Date.now(), metrics: { temperature: 20 } }),
  );

/** Something that receives events: a graphql-ws subscription or an SSE stream. */
interface Receiver {
  received(): number;
}
const onSocket = (connection: Connection, id: string): Receiver => ({
  received: () => connection.received(id),
});

/** Posts points until every receiver has seen one more event than it had: they are all live. */
async function expectLive(receivers: Receiver[]) {
  const before = receivers.map((receiver) => receiver.received());
  await eventually(
    async () => {
      await postPoint();
      return receivers.every((receiver, i) => receiver.received() > before[i]!) ? true : undefined;
    },
    10_000,
    'an event on every live subscription',
  );
}

function subscribeAll(connection: Connection, ids: string[]) {
  for (const id of ids) connection.subscribe(id, LIVE, { deviceIds: [device.id] });
}

/** Whether the server admitted `id`: a refusal comes as an `error`, an admission as events. */
async function admitted(connection: Connection, id: string): Promise<boolean> {
  connection.subscribe(id, LIVE, { deviceIds: [device.id] });
  return eventually(
    async () => {
      if (connection.errorsOf(id)) return false;
      if (connection.received(id) > 0) return true;
      await postPoint();
      return undefined;
    },
    10_000,
    `the answer to subscribe ${id}`,
  );
}

async function expectRefused(connection: Connection, id: string, cap: 'connection' | 'user') {
  const errors = await eventually<WsError[]>(
    async () => connection.errorsOf(id),
    5_000,
    `the refusal of ${id}`,
  );
  const max = cap === 'connection' ? PER_CONNECTION : PER_USER;
  expect(errors).toMatchObject([
    {
      message: expect.stringContaining(`at most ${max} per ${cap}`),
      extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', maxSubscriptions: max },
    },
  ]);
}

/** The live telemetry subscription over SSE (GraphiQL's transport). */
async function subscribeOverSse(token: string) {
  const stream = await openSse(app.baseUrl, token, {
    query: LIVE,
    variables: { deviceIds: [device.id] },
  });
  expect(stream.status).toBe(200);
  return stream;
}

describe('per connection', () => {
  it('refuses the subscribe over the cap; the others keep receiving, and a completed one frees its slot', async () => {
    const connection = await openConnection(app.baseUrl, await userToken('per-connection'));
    const ids = ['s1', 's2', 's3', 's4'];
    subscribeAll(connection, [...ids, 'over']);

    await expectRefused(connection, 'over', 'connection');
    await expectLive(ids.map((id) => onSocket(connection, id)));
    expect(connection.received('over')).toBe(0);
    expect(connection.socket.readyState).toBe(connection.socket.OPEN);

    // A `complete` then a subscribe right behind it, as a dashboard changing a panel sends them.
    connection.complete('s1');
    expect(await admitted(connection, 's5')).toBe(true);
    // Full again.
    subscribeAll(connection, ['over-again']);
    await expectRefused(connection, 'over-again', 'connection');
    await expectLive(['s2', 's3', 's4', 's5'].map((id) => onSocket(connection, id)));
    await connection.close();
  });

  it('holds no slot for a subscribe refused for another reason', async () => {
    const connection = await openConnection(app.baseUrl, await userToken('refused-otherwise'));
    // One after the other: a subscribe being answered holds its slot until it is.
    for (let i = 0; i < 2 * PER_CONNECTION; i++) {
      connection.subscribe(`unknown-${i}`, LIVE, {
        deviceIds: ['00000000-0000-4000-8000-00000000dead'],
      });
      await eventually(
        async () =>
          connection.messages.some((m) => m.type === 'complete' && m.id === `unknown-${i}`)
            ? true
            : undefined,
        5_000,
        'the NOT_FOUND answer',
      );
      expect(connection.errorsOf(`unknown-${i}`)).toBeUndefined();
    }
    for (const id of ['s1', 's2', 's3', 's4']) expect(await admitted(connection, id)).toBe(true);
    await connection.close();
  });
});

describe('per user', () => {
  it('holds across sockets and SSE streams of one user; another user is unaffected', async () => {
    const token = await userToken('per-user');
    const first = await openConnection(app.baseUrl, token);
    const second = await openConnection(app.baseUrl, token);
    subscribeAll(first, ['a1', 'a2', 'a3', 'a4']);
    await expectLive(['a1', 'a2', 'a3', 'a4'].map((id) => onSocket(first, id)));
    subscribeAll(second, ['b1', 'b2', 'b3']);
    await expectRefused(second, 'b3', 'user');
    await expectLive(['b1', 'b2'].map((id) => onSocket(second, id)));

    // Another user: a full connection of its own.
    const other = await openConnection(app.baseUrl, await userToken('another-user'));
    for (const id of ['o1', 'o2', 'o3', 'o4']) expect(await admitted(other, id)).toBe(true);

    // SSE counts in the same cap: refused as a GraphQL error in the stream.
    const refusedStream = await subscribeOverSse(token);
    await refusedStream.ended;
    expect(refusedStream.results).toMatchObject([
      {
        errors: [
          {
            message: expect.stringContaining(`at most ${PER_USER} per user`),
            extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', maxSubscriptions: PER_USER },
          },
        ],
      },
    ]);

    // A slot given back on one socket is taken by an SSE stream, and then the user is full again.
    first.complete('a1');
    const stream = await subscribeOverSse(token);
    await expectLive([stream]);
    expect(await admitted(second, 'b4')).toBe(false);
    await expectRefused(second, 'b4', 'user');

    // The stream's client goes away: its slot comes back.
    stream.close();
    await eventually(
      async () => ((await admitted(second, `b-${Date.now()}`)) ? true : undefined),
      5_000,
      "the closed stream's slot",
    );
    for (const connection of [first, second, other]) await connection.close();
  });

  it('holds no slot for a subscription POSTed without accepting an event stream (406)', async () => {
    const token = await userToken('not-acceptable');
    for (let i = 0; i < 2 * PER_USER; i++) {
      const response = await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({ query: LIVE, variables: { deviceIds: [device.id] } }),
      });
      expect(response.status).toBe(406);
      await response.arrayBuffer();
    }
    const stream = await subscribeOverSse(token);
    await expectLive([stream]);
    stream.close();
  });

  it('gets back what a closed connection held', async () => {
    const token = await userToken('closer');
    const first = await openConnection(app.baseUrl, token);
    subscribeAll(first, ['a1', 'a2', 'a3', 'a4']);
    await expectLive(['a1', 'a2', 'a3', 'a4'].map((id) => onSocket(first, id)));
    const second = await openConnection(app.baseUrl, token);
    expect(await admitted(second, 'b1')).toBe(true);
    expect(await admitted(second, 'b2')).toBe(true);
    expect(await admitted(second, 'b3')).toBe(false);

    await first.close();
    // The server sees the close about when the client does: retried until it has.
    const third = await eventually(
      async () => {
        const connection = await openConnection(app.baseUrl, token);
        if (await admitted(connection, 'c1')) return connection;
        await connection.close();
        return undefined;
      },
      5_000,
      "the closed connection's slots",
    );
    for (const id of ['c2', 'c3', 'c4']) expect(await admitted(third, id)).toBe(true);
    // Exactly the cap again: 2 + 4.
    expect(await admitted(second, 'b4')).toBe(false);
    await second.close();
    await third.close();
  });

  it('gets back what a connection and a stream ended at the token expiry held', async () => {
    const expiresAt = (Math.floor(Date.now() / 1000) + 3) * 1000;
    const shortLived = await userToken('expiring', expiresAt / 1000);
    const longLived = await userToken('expiring');
    const expiring = await openConnection(app.baseUrl, shortLived);
    subscribeAll(expiring, ['e1', 'e2', 'e3', 'e4']);
    const stream = await subscribeOverSse(shortLived);
    await expectLive([...['e1', 'e2', 'e3', 'e4'].map((id) => onSocket(expiring, id)), stream]);
    // 4 + 1 + 1: the user is full.
    const lasting = await openConnection(app.baseUrl, longLived);
    expect(await admitted(lasting, 'l1')).toBe(true);
    expect(await admitted(lasting, 'l2')).toBe(false);

    expect((await expiring.closed).code).toBe(4401);
    await stream.ended;
    const next = await eventually(
      async () => {
        const connection = await openConnection(app.baseUrl, longLived);
        if (await admitted(connection, 'n1')) return connection;
        await connection.close();
        return undefined;
      },
      5_000,
      'the slots held until the expiry',
    );
    for (const id of ['n2', 'n3', 'n4']) expect(await admitted(next, id)).toBe(true);
    expect(await admitted(lasting, 'l3')).toBe(true);
    expect(await admitted(lasting, 'l4')).toBe(false);
    await next.close();
    await lasting.close();
  });
});
