/**
 * Rate limits on the real embedded app with tiny buckets: devices on ingest, users on GraphQL
 * (HTTP and WebSocket), a per-organization override, and refill after waiting. Exact counts use
 * buckets that refill one token in 20 s, so a slow machine cannot earn a token back mid-burst;
 * refill is shown in an organization of its own with a bucket of 1 refilled every 2 s.
 */
import { print } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../../src/auth/jwt.js';
import type { Role } from '../../src/auth/viewer.js';
import {
  DevicesDocument,
  LiveTelemetryDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import { liveClient } from '../support/live-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import { createGraphQLClient, expectData, postTelemetry } from '../support/graphql-client.js';

const SMALL = 'org-small';
const BIG = 'org-big';
const REFILL = 'org-refill';
const SLOW = 0.05;
const LIMITS = {
  RATE_LIMIT_DEVICE_PER_SECOND: String(SLOW),
  RATE_LIMIT_DEVICE_BURST: '3',
  RATE_LIMIT_USER_PER_SECOND: String(SLOW),
  RATE_LIMIT_USER_BURST: '5',
  RATE_LIMITS_BY_ORGANIZATION: JSON.stringify({
    [BIG]: { device: { perSecond: SLOW, burst: 8 }, user: { perSecond: SLOW, burst: 12 } },
    [REFILL]: { device: { perSecond: 0.5, burst: 1 }, user: { perSecond: 0.5, burst: 1 } },
  }),
};

const app = useEmbeddedApp(LIMITS);
const devices: Record<string, { id: string; token: string }[]> = {};
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
const token = (org: string, index = 0) => devices[org]![index]!.token;

beforeAll(async () => {
  for (const [org, count] of [
    [SMALL, 2],
    [BIG, 1],
    [REFILL, 1],
  ] as const) {
    // One admin per device: REFILL's user bucket holds a single operation.
    devices[org] = [];
    for (let i = 0; i < count; i += 1) {
      const admin = createGraphQLClient(app.baseUrl, await freshUser(org, 'admin'));
      const data = await expectData(
        admin(RegisterDeviceDocument, { input: { externalId: `d${i}`, name: 'd', type: 't' } }),
      );
      devices[org]!.push({ id: data.registerDevice.device.id, token: data.registerDevice.token });
    }
  }
});

describe('ingest rate limits per device', () => {
  it('accepts the burst with RateLimit-* headers, then answers 429 with Retry-After', async () => {
    const accepted = [];
    for (let i = 0; i < 3; i += 1) accepted.push(await post(token(SMALL), Date.UTC(2026, 0, 1, i)));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(accepted.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(accepted[0]!.headers.get('ratelimit-limit')).toBe('3');
    // One token used, refilled at 0.05 a second: full again in 20 s.
    expect(accepted[0]!.headers.get('ratelimit-reset')).toBe('20');

    const refused = await post(token(SMALL));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.any(String) });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(15);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect(refused.headers.get('ratelimit-limit')).toBe('3');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThan(40);

    // Another device of the same organization has its own bucket.
    expect((await post(token(SMALL, 1))).status).toBe(202);
  });

  it('serves the device again once Retry-After has passed', async () => {
    expect((await post(token(REFILL))).status).toBe(202);
    const refused = await post(token(REFILL));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(2);
    await sleep(retryAfter * 1000 + 100);
    expect((await post(token(REFILL))).status).toBe(202);
  });

  it("honours the organization's override", async () => {
    const statuses = [];
    for (let i = 0; i < 9; i += 1) statuses.push((await post(token(BIG))).status);
    expect(statuses).toEqual([...Array<number>(8).fill(202), 429]);
  });
});

describe('GraphQL rate limits per user', () => {
  const devicesQuery = async (bearer: string) => {
    const response = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query: print(DevicesDocument), variables: { first: 1 } }),
    });
    const body = (await response.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    };
    return { status: response.status, headers: response.headers, body };
  };

  it('serves the burst, then answers 429 with RATE_LIMITED and Retry-After', async () => {
    const user = await freshUser(SMALL);
    const served = [];
    for (let i = 0; i < 5; i += 1) served.push(await devicesQuery(user));
    expect(served.map((r) => [r.status, r.body.errors])).toEqual(Array(5).fill([200, undefined]));
    expect(served.map((r) => r.headers.get('ratelimit-remaining'))).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
    ]);
    expect(served[0]!.headers.get('ratelimit-limit')).toBe('5');

    const refused = await devicesQuery(user);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(15);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([
      expect.objectContaining({
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
      }),
    ]);

    // Another user of the same organization is unaffected.
    expect((await devicesQuery(await freshUser(SMALL))).status).toBe(200);
  });

  it('serves the user again once Retry-After has passed', async () => {
    const user = await freshUser(REFILL);
    expect((await devicesQuery(user)).status).toBe(200);
    const refused = await devicesQuery(user);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    await sleep(2_100);
    expect((await devicesQuery(user)).status).toBe(200);
  });

  it("honours the organization's override", async () => {
    const user = await freshUser(BIG);
    const statuses = [];
    for (let i = 0; i < 13; i += 1) statuses.push((await devicesQuery(user)).status);
    expect(statuses).toEqual([...Array<number>(12).fill(200), 429]);
  });

  it('charges each WebSocket subscribe, and refuses one over the limit with RATE_LIMITED', async () => {
    const user = await freshUser(SMALL);
    const client = liveClient(app.baseUrl, user);
    // Resolves with the errors of a refused subscribe, or 'subscribed' once it is live.
    const subscribe = () =>
      new Promise<unknown>((resolve) => {
        const unsubscribe = client.subscribe(
          {
            query: print(LiveTelemetryDocument),
            variables: { deviceIds: [devices[SMALL]![0]!.id] },
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
        }, 300);
      });
    try {
      expect(await subscribe()).toBe('subscribed');
      // The subscribe took one token: four of the five are left.
      const served = [];
      for (let i = 0; i < 4; i += 1) served.push((await devicesQuery(user)).status);
      expect(served).toEqual([200, 200, 200, 200]);
      expect(await subscribe()).toEqual([
        expect.objectContaining({
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) },
        }),
      ]);
    } finally {
      await client.dispose();
    }
  });
});
