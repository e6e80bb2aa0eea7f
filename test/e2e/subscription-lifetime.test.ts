/**
 * A subscription lives no longer than the credential that opened it, whatever the transport:
 * over SSE (GraphiQL's transport) the stream ends with an UNAUTHENTICATED error at the JWT's
 * `exp` or the API key's `expiresAt`, or once the key is found revoked; over graphql-ws a revoked
 * key's connection is closed with 4403 (expiry: 4401, test/e2e/websocket-auth.test.ts).
 */
import { once } from 'node:events';
import { print } from 'graphql';
import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION } from '../../src/app/embedded.js';
import { signUserToken } from '../../src/auth/jwt.js';
import {
  CreateApiKeyDocument,
  LiveTelemetryDocument,
  RegisterDeviceDocument,
  RevokeApiKeyDocument,
} from '../generated/graphql.js';
import { subscribeOverSse as openSse, type StreamResult } from '../support/sse-subscription.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';

const app = useEmbeddedApp();
let admin: ReturnType<typeof createGraphQLClient>;
let device: { id: string; token: string };

beforeAll(async () => {
  admin = createGraphQLClient(app.baseUrl, app.adminToken);
  const registered = await expectData(
    admin(RegisterDeviceDocument, {
      input: { externalId: 'lifetime', name: 'Lifetime sensor', type: 'thermometer' },
    }),
  );
  device = { id: registered.registerDevice.device.id, token: registered.registerDevice.token };
});

/** The live telemetry subscription over SSE, as GraphiQL opens it. */
async function subscribeOverSse(token: string) {
  const stream = await openSse(app.baseUrl, token, {
    query: print(LiveTelemetryDocument),
    variables: { deviceIds: [device.id] },
  });
  expect(stream.status).toBe(200);
  return stream;
}

/** Posts points until the subscriber has seen one: the stream is live. */
async function expectLive(received: () => number) {
  await eventually(
    async () => {
      await postTelemetry(
        app.baseUrl,
        device.token,
        JSON.stringify({ ts: Date.now(), metrics: { temperature: 20 } }),
      );
      return received() > 0 ? true : undefined;
    },
    5_000,
    'a live point',
  );
}

const lastError = (results: StreamResult[]) => results.at(-1)?.errors?.[0];

async function createKey(scopes: ('READ_TELEMETRY' | 'READ_DEVICES')[], expiresAt?: string) {
  const data = await expectData(
    admin(CreateApiKeyDocument, { input: { name: 'lifetime key', scopes, expiresAt } }),
  );
  return data.createApiKey;
}

describe('subscriptions over SSE', () => {
  it("end with UNAUTHENTICATED at the user's token expiry", async () => {
    const expiresAt = (Math.floor(Date.now() / 1000) + 3) * 1000;
    const token = await signUserToken(
      app.jwt,
      { subject: 'sse-user', organizationId: DEFAULT_ORGANIZATION.id, role: 'viewer' },
      expiresAt / 1000,
    );
    const stream = await subscribeOverSse(token);
    await expectLive(() => stream.results.filter((result) => result.data).length);

    const ended = await stream.ended;
    expect(ended.completed).toBe(true);
    expect(ended.at).toBeGreaterThanOrEqual(expiresAt);
    expect(lastError(stream.results)).toMatchObject({
      message: 'token expired',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it("end with UNAUTHENTICATED at an API key's expiresAt", async () => {
    const expiresAt = Date.now() + 3_000;
    const created = await createKey(['READ_TELEMETRY'], new Date(expiresAt).toISOString());
    const stream = await subscribeOverSse(created.key);
    await expectLive(() => stream.results.filter((result) => result.data).length);

    const ended = await stream.ended;
    expect(ended.completed).toBe(true);
    expect(ended.at).toBeGreaterThanOrEqual(expiresAt);
    expect(lastError(stream.results)).toMatchObject({
      message: 'API key expired',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });
});

describe('a revoked API key', () => {
  it('ends its SSE streams with UNAUTHENTICATED and closes its WebSockets with 4403', async () => {
    const created = await createKey(['READ_TELEMETRY']);
    const stream = await subscribeOverSse(created.key);

    const socket = new WebSocket(`${app.baseUrl.replace('http', 'ws')}/graphql`, [
      'graphql-transport-ws',
    ]);
    const wsMessages: { type: string; id?: string }[] = [];
    socket.on('message', (data) => wsMessages.push(JSON.parse(String(data)) as never));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await once(socket, 'open');
    socket.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { Authorization: `Bearer ${created.key}` },
      }),
    );
    await eventually(
      async () =>
        wsMessages.some((message) => message.type === 'connection_ack') ? true : undefined,
      5_000,
      'connection_ack',
    );
    socket.send(
      JSON.stringify({
        id: 'live',
        type: 'subscribe',
        payload: { query: print(LiveTelemetryDocument), variables: { deviceIds: [device.id] } },
      }),
    );
    await expectLive(() =>
      Math.min(
        stream.results.filter((result) => result.data).length,
        wsMessages.filter((message) => message.type === 'next').length,
      ),
    );

    await expectData(admin(RevokeApiKeyDocument, { id: created.apiKey.id }));
    expect(await closed).toEqual({ code: 4403, reason: 'API key revoked' });
    const ended = await stream.ended;
    expect(ended.completed).toBe(true);
    expect(lastError(stream.results)).toMatchObject({
      message: 'API key revoked',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });
});
