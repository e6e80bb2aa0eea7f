/**
 * Unauthenticated clients are rate-limited by address on the real embedded app: forged API keys,
 * device tokens and connection_init floods each cost a database lookup, so failures are charged
 * to the client's address and, over the limit, refused before any lookup. Each test floods from
 * a loopback address of its own (127.0.0.x), so the buckets do not mix; valid callers are served.
 */
import { once } from 'node:events';
import { request } from 'node:http';
import { print } from 'graphql';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { generateDeviceToken } from '../../src/auth/device-tokens.js';
import {
  CreateApiKeyDocument,
  DeviceNamesDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import { createGraphQLClient, expectData, postTelemetry } from '../support/graphql-client.js';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { code?: string; errors?: { extensions?: { code?: string } }[] };
}

/** More than the burst of failures (50) plus what refills while the flood is sent. */
const FLOOD = 150;

const app = useEmbeddedApp();

/** A POST from a chosen local address (fetch cannot choose one). */
function post(path: string, from: string, token: string, body: string): Promise<Answer> {
  const url = new URL(path, app.baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            retryAfter: res.headers['retry-after'],
            body: JSON.parse(text) as Answer['body'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const query = JSON.stringify({ query: print(DeviceNamesDocument) });
const point = JSON.stringify({ metrics: { temperature: 1 } });

async function flood(send: () => Promise<Answer>) {
  return Promise.all(Array.from({ length: FLOOD }, send));
}

describe('failed authentications per client address', () => {
  it('GraphQL: forged API keys get 401, then 429 RATE_LIMITED; a valid user is still served', async () => {
    const answers = await flood(() => post('/graphql', '127.0.0.2', generateApiKey().key, query));
    const statuses = new Set(answers.map((answer) => answer.status));
    expect([...statuses].sort()).toEqual([401, 429]);
    const limited = answers.find((answer) => answer.status === 429)!;
    expect(limited.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(answers.filter((answer) => answer.status === 401).length).toBeGreaterThanOrEqual(50);

    // A user token costs no lookup: served from the very address that is over its limit.
    const user = await post('/graphql', '127.0.0.2', app.adminToken, query);
    expect(user.status).toBe(200);
    // A new API key (a lookup) from another address is served too.
    const created = await expectData(
      createGraphQLClient(app.baseUrl, app.adminToken)(CreateApiKeyDocument, {
        input: { name: 'neighbour', scopes: ['READ_DEVICES'] },
      }),
    );
    expect((await post('/graphql', '127.0.0.1', created.createApiKey.key, query)).status).toBe(200);
  });

  it('ingest: forged device tokens get 401, then 429 RATE_LIMITED; a real device is served', async () => {
    const answers = await flood(() =>
      post('/v1/telemetry', '127.0.0.3', generateDeviceToken(), point),
    );
    expect([...new Set(answers.map((answer) => answer.status))].sort()).toEqual([401, 429]);
    const limited = answers.find((answer) => answer.status === 429)!;
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);

    const registered = await expectData(
      createGraphQLClient(app.baseUrl, app.adminToken)(RegisterDeviceDocument, {
        input: { externalId: 'honest', name: 'Honest', type: 'thermometer' },
      }),
    );
    expect((await postTelemetry(app.baseUrl, registered.registerDevice.token, point)).status).toBe(
      202,
    );
  });

  it('graphql-ws: a connection_init flood is closed with 4429; a valid user still connects', async () => {
    const connect = async (token: string) => {
      const socket = new WebSocket(
        `${app.baseUrl.replace('http', 'ws')}/graphql`,
        'graphql-transport-ws',
        { localAddress: '127.0.0.4' },
      );
      const closed = once(socket, 'close') as Promise<[number, Buffer]>;
      const acknowledged = new Promise<boolean>((resolve) => {
        socket.on('message', (data) => resolve(String(data).includes('connection_ack')));
        void closed.then(() => resolve(false));
      });
      await once(socket, 'open');
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }),
      );
      return { socket, closed, acknowledged: await acknowledged };
    };
    const codes = await Promise.all(
      Array.from({ length: FLOOD }, async () => {
        const connection = await connect(generateApiKey().key);
        const [code] = await connection.closed;
        return code;
      }),
    );
    expect([...new Set(codes)].sort()).toEqual([4403, 4429]);

    const valid = await connect(app.adminToken);
    expect(valid.acknowledged).toBe(true);
    valid.socket.close(1000);
    await valid.closed;
  });
});
