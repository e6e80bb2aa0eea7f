/**
 * Rate limits on the real embedded app with tiny buckets: devices on ingest, users on GraphQL
 * (HTTP and WebSocket), a per-organization override, and refill after waiting.
 */
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../../src/auth/jwt.js';
import type { Role } from '../../src/auth/viewer.js';
import {
  DevicesDocument,
  LiveTelemetryDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import { makeDataDir, startEmbeddedApp } from '../support/embedded-app.js';
import { createGraphQLClient, expectData, postTelemetry } from '../support/graphql-client.js';

type App = Awaited<ReturnType<typeof startEmbeddedApp>>;

const SMALL = 'org-small';
const BIG = 'org-big';
// Slow refill (1 token a second) so a burst of requests cannot earn a token back midway.
const LIMITS = {
  RATE_LIMIT_DEVICE_PER_SECOND: '1',
  RATE_LIMIT_DEVICE_BURST: '3',
  RATE_LIMIT_USER_PER_SECOND: '1',
  RATE_LIMIT_USER_BURST: '5',
  RATE_LIMITS_BY_ORGANIZATION: JSON.stringify({
    [BIG]: { device: { perSecond: 1, burst: 8 }, user: { perSecond: 1, burst: 12 } },
  }),
};

let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
let app: App;
const deviceTokens: Record<string, string[]> = {};
const deviceIds: Record<string, string[]> = {};
let userCounter = 0;

/** A user nobody else has charged yet, so every test starts with a full bucket. */
function freshUser(organizationId: string, role: Role = 'viewer') {
  userCounter += 1;
  return signUserToken(
    app.jwt,
    { subject: `user-${userCounter}@${organizationId}`, organizationId, role },
    '1h',
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const onePoint = (ts: number) => JSON.stringify({ ts, metrics: { temperature: 20 } });
const post = (token: string, ts = Date.UTC(2026, 0, 1)) =>
  postTelemetry(app.baseUrl, token, onePoint(ts));

beforeAll(async () => {
  dataDir = await makeDataDir();
  app = await startEmbeddedApp(dataDir.dir, LIMITS);
  for (const org of [SMALL, BIG]) {
    const admin = createGraphQLClient(app.baseUrl, await freshUser(org, 'admin'));
    deviceTokens[org] = [];
    deviceIds[org] = [];
    for (const externalId of ['a', 'b']) {
      const data = await expectData(
        admin(RegisterDeviceDocument, { input: { externalId, name: externalId, type: 't' } }),
      );
      deviceTokens[org]!.push(data.registerDevice.token);
      deviceIds[org]!.push(data.registerDevice.device.id);
    }
  }
});

afterAll(async () => {
  await app?.stop();
  await dataDir?.remove();
});

describe('ingest rate limits per device', () => {
  it('accepts the burst with RateLimit-* headers, then answers 429 with Retry-After', async () => {
    const [token] = deviceTokens[SMALL]!;
    const accepted = [];
    for (let i = 0; i < 3; i += 1) accepted.push(await post(token!, Date.UTC(2026, 0, 1, 0, i)));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(accepted.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(accepted[0]!.headers.get('ratelimit-limit')).toBe('3');
    expect(accepted[0]!.headers.get('ratelimit-reset')).toBe('1');

    const refused = await post(token!);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.body.message).toEqual(expect.any(String));
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('ratelimit-limit')).toBe('3');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);

    // Another device of the same organization has its own bucket.
    expect((await post(deviceTokens[SMALL]![1]!)).status).toBe(202);

    // Retry-After says one second: after it, the device is served again.
    await sleep(Number(refused.headers.get('retry-after')) * 1000 + 100);
    const retried = await post(token!);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('ratelimit-remaining')).toBe('0');
  });

  it("honours the organization's override", async () => {
    const [token] = deviceTokens[BIG]!;
    const statuses = [];
    for (let i = 0; i < 9; i += 1) statuses.push((await post(token!)).status);
    expect(statuses).toEqual([...Array<number>(8).fill(202), 429]);
  });
});

describe('GraphQL rate limits per user', () => {
  const devicesQuery = async (token: string) => {
    const response = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(DevicesDocument), variables: { first: 1 } }),
    });
    const body = (await response.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    };
    return { status: response.status, headers: response.headers, body };
  };

  it('serves the burst, then answers 429 with RATE_LIMITED and Retry-After', async () => {
    const token = await freshUser(SMALL);
    const served = [];
    for (let i = 0; i < 5; i += 1) served.push(await devicesQuery(token));
    expect(served.map((r) => [r.status, r.body.errors])).toEqual(Array(5).fill([200, undefined]));
    expect(served.map((r) => r.headers.get('ratelimit-remaining'))).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
    ]);

    const refused = await devicesQuery(token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([
      expect.objectContaining({
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 },
      }),
    ]);

    // Another user of the same organization is unaffected.
    expect((await devicesQuery(await freshUser(SMALL))).status).toBe(200);

    await sleep(1_100);
    expect((await devicesQuery(token)).status).toBe(200);
  });

  it("honours the organization's override", async () => {
    const token = await freshUser(BIG);
    const statuses = [];
    for (let i = 0; i < 13; i += 1) statuses.push((await devicesQuery(token)).status);
    expect(statuses).toEqual([...Array<number>(12).fill(200), 429]);
  });

  it('charges each WebSocket subscribe, and refuses one over the limit with RATE_LIMITED', async () => {
    const token = await freshUser(SMALL);
    const client = createClient({
      url: `${app.baseUrl.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    // Resolves with the errors of a refused subscribe, or 'subscribed' once it is live.
    const subscribe = () =>
      new Promise<unknown>((resolve) => {
        const unsubscribe = client.subscribe(
          {
            query: print(LiveTelemetryDocument),
            variables: { deviceIds: deviceIds[SMALL]!.slice(0, 1) },
          },
          {
            next: (message) => resolve(message.errors ?? message),
            error: (error) => resolve(error),
            complete: () => resolve('completed'),
          },
        );
        // A live subscription sends nothing until a point arrives; give it time to be refused.
        setTimeout(() => {
          unsubscribe();
          resolve('subscribed');
        }, 200);
      });
    try {
      expect(await subscribe()).toBe('subscribed');
      const served = [];
      for (let i = 0; i < 4; i += 1) served.push((await devicesQuery(token)).status);
      expect(served).toEqual([200, 200, 200, 200]);
      const refused = await subscribe();
      expect(refused).toEqual([
        expect.objectContaining({
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) },
        }),
      ]);
    } finally {
      await client.dispose();
    }
  });
});
