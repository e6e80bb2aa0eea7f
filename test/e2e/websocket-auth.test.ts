/**
 * WebSocket authentication on the real embedded app: the token is checked once, in
 * `connection_init`, and the socket is closed when that token expires.
 */
import { once } from 'node:events';
import { print } from 'graphql';
import { UnsecuredJWT } from 'jose';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { signUserToken } from '../../src/auth/jwt.js';
import { LiveTelemetryDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';

interface Message {
  type: string;
  id?: string;
  payload?: unknown;
}

const ORGANIZATION = '00000000-0000-4000-8000-000000000001';

const app = useEmbeddedApp();

/** A graphql-transport-ws connection spoken by hand, so every close code is visible. */
async function connect(initPayload: Record<string, unknown>, headers: Record<string, string> = {}) {
  const socket = new WebSocket(
    `${app.baseUrl.replace('http', 'ws')}/graphql`,
    'graphql-transport-ws',
    { headers },
  );
  const messages: Message[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.once('close', (code, reason) =>
      resolve({ code, reason: reason.toString(), at: Date.now() }),
    ),
  );
  const acknowledged = new Promise<boolean>((resolve) => {
    socket.on('message', () => {
      if (messages.some((m) => m.type === 'connection_ack')) resolve(true);
    });
    void closed.then(() => resolve(false));
  });
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'connection_init', payload: initPayload }));
  return { socket, messages, closed, acknowledged: await acknowledged };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const user = { subject: 'ws-user', organizationId: ORGANIZATION, role: 'viewer' } as const;

describe('connection_init', () => {
  it('refuses a connection without a token with 4403 and never acknowledges it', async () => {
    const connection = await connect({});
    expect(connection.acknowledged).toBe(false);
    expect((await connection.closed).code).toBe(4403);
    expect(connection.messages).toEqual([]);
  });

  it('refuses forged, tampered, unsigned and expired tokens with 4403', async () => {
    const [header, payload, signature] = app.adminToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as object;
    const tampered = Buffer.from(
      JSON.stringify({ ...claims, org: '00000000-0000-4000-8000-0000000000ff' }),
    ).toString('base64url');
    const forged = [
      await signUserToken(
        { ...app.jwt, secret: 'another-secret-of-sufficient-length!!' },
        user,
        '1h',
      ),
      `${header}.${tampered}.${signature}`,
      new UnsecuredJWT({ org: ORGANIZATION, role: 'admin' })
        .setSubject('x')
        .setIssuer(app.jwt.issuer)
        .setAudience(app.jwt.audience)
        .setExpirationTime('1h')
        .encode(),
      await signUserToken(app.jwt, user, Math.floor(Date.now() / 1000) - 3_600),
      'not-a-jwt',
    ];
    for (const token of forged) {
      const connection = await connect(bearer(token));
      expect(connection.acknowledged).toBe(false);
      expect((await connection.closed).code).toBe(4403);
    }
  });

  it('accepts a valid token from connection params or the upgrade request header', async () => {
    for (const connection of [
      await connect(bearer(app.adminToken)),
      await connect({}, { authorization: `Bearer ${app.adminToken}` }),
    ]) {
      expect(connection.acknowledged).toBe(true);
      connection.socket.close(1000);
      await connection.closed;
    }
  });
});

describe('token expiry', () => {
  it('closes the socket with 4401 when the token expires while a subscription is live', async () => {
    const gql = createGraphQLClient(app.baseUrl, app.adminToken);
    const registered = await expectData(
      gql(RegisterDeviceDocument, {
        input: { externalId: 'ws-expiry', name: 'Expiry sensor', type: 'thermometer' },
      }),
    );
    const device = registered.registerDevice;
    const expiresAt = (Math.floor(Date.now() / 1000) + 3) * 1000;
    const shortLived = await signUserToken(app.jwt, user, expiresAt / 1000);
    const connection = await connect(bearer(shortLived));
    expect(connection.acknowledged).toBe(true);
    connection.socket.send(
      JSON.stringify({
        id: 'live',
        type: 'subscribe',
        payload: {
          query: print(LiveTelemetryDocument),
          variables: { deviceIds: [device.device.id] },
        },
      }),
    );
    // The subscription is live: a point posted now reaches it.
    await eventually(
      async () => {
        await postTelemetry(
          app.baseUrl,
          device.token,
          JSON.stringify({ ts: Date.now(), metrics: { temperature: 21 } }),
        );
        return connection.messages.some((m) => m.type === 'next' && m.id === 'live')
          ? true
          : undefined;
      },
      2_000,
      'a live point before expiry',
    );
    expect(connection.socket.readyState).toBe(WebSocket.OPEN);

    const closed = await connection.closed;
    expect(closed).toMatchObject({ code: 4401, reason: 'Token expired' });
    expect(closed.at).toBeGreaterThanOrEqual(expiresAt);
    expect(closed.at).toBeLessThan(expiresAt + 1_000);
    expect(connection.messages.filter((m) => m.type === 'error')).toEqual([]);
  });
});

describe('message size', () => {
  // GRAPHQL_MAX_BODY_BYTES's default: the HTTP body limit holds for WebSocket frames too.
  const LIMIT = 100_000;
  const subscribeMessage = (id: string, padding: number) =>
    JSON.stringify({
      id,
      type: 'subscribe',
      payload: { query: '{ __typename }', variables: { padding: 'x'.repeat(padding) } },
    });

  it('closes a connection that sends a frame over the limit with 1009; others go on', async () => {
    const oversized = await connect(bearer(app.adminToken));
    const other = await connect(bearer(app.adminToken));
    expect(oversized.acknowledged && other.acknowledged).toBe(true);

    oversized.socket.send(subscribeMessage('big', LIMIT + 1_000));
    expect((await oversized.closed).code).toBe(1009);
    expect(oversized.messages.filter((m) => m.id === 'big')).toEqual([]);

    // A large frame within the limit, on another connection, is served as usual.
    other.socket.send(subscribeMessage('fits', LIMIT - 1_000));
    await eventually(
      async () => (other.messages.some((m) => m.type === 'complete') ? true : undefined),
      5_000,
      'the operation within the limit',
    );
    expect(other.messages.filter((m) => m.id === 'fits')).toEqual([
      { id: 'fits', type: 'next', payload: { data: { __typename: 'Query' } } },
      { id: 'fits', type: 'complete' },
    ]);
    other.socket.close(1000);
    await other.closed;
  });
});
