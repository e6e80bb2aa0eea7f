/**
 * The embedded product end to end, on a real server on port 0: what a newcomer does in the
 * README, plus every documented ingest error, live delivery and a restart.
 */
import { print } from 'graphql';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceDocument,
  DevicesDocument,
  DisableDeviceDocument,
  EnableDeviceDocument,
  LiveTelemetryDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  RotateDeviceTokenDocument,
  TelemetryDocument,
  UpdateDeviceDocument,
  type LiveTelemetrySubscription,
} from '../generated/graphql.js';
import { liveClient } from '../support/live-client.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { referenceBuckets, type Sample } from '../support/reference-aggregates.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();
let gql: ReturnType<typeof createGraphQLClient>;

beforeAll(() => {
  gql = createGraphQLClient(app.baseUrl, app.adminToken);
});

async function register(externalId: string, extra: Record<string, unknown> = {}) {
  const data = await expectData(
    gql(RegisterDeviceDocument, {
      input: { externalId, name: `Sensor ${externalId}`, type: 'thermometer', ...extra },
    }),
  );
  return { id: data.registerDevice.device.id, token: data.registerDevice.token };
}

const WIDE_RANGE = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

async function countPoints(id: string): Promise<number> {
  let total = 0;
  let after: string | null | undefined;
  for (;;) {
    const data = await expectData(
      gql(RawTelemetryDocument, { id, ...WIDE_RANGE, first: 1000, after }),
    );
    const connection = data.device.rawTelemetry;
    total += connection.edges.length;
    if (!connection.pageInfo.hasNextPage) return total;
    after = connection.pageInfo.endCursor;
  }
}

const waitForCount = (id: string, expected: number) =>
  eventually(
    async () => ((await countPoints(id)) === expected ? true : undefined),
    10_000,
    `${expected} points`,
  );

/** One stored point with a single numeric metric, as the refusal tests send them. */
interface StoredPoint {
  ts: number;
  temperature: number;
}

async function storedPoints(id: string): Promise<StoredPoint[]> {
  const points: StoredPoint[] = [];
  let after: string | null | undefined;
  for (;;) {
    const data = await expectData(
      gql(RawTelemetryDocument, { id, ...WIDE_RANGE, first: 1000, after }),
    );
    for (const { node } of data.device.rawTelemetry.edges) {
      const metrics = Object.fromEntries(node.metrics.map((m) => [m.metric, m.value]));
      expect(Object.keys(metrics)).toEqual(['temperature']);
      points.push({
        ts: Date.parse(node.ts as string),
        temperature: metrics.temperature as number,
      });
    }
    if (!data.device.rawTelemetry.pageInfo.hasNextPage) return points;
    after = data.device.rawTelemetry.pageInfo.endCursor;
  }
}

/**
 * Waits until the last expected point is stored, then requires exactly the expected points: the
 * pipeline stores points in the order they were accepted, so anything accepted before the last
 * one (a leaked write among them) is stored by then.
 */
async function expectStoredExactly(id: string, expected: StoredPoint[]) {
  const last = expected.at(-1)!;
  await eventually(
    async () => ((await storedPoints(id)).some((point) => point.ts === last.ts) ? true : undefined),
    10_000,
    `the point at ${new Date(last.ts).toISOString()}`,
  );
  expect(await storedPoints(id)).toEqual([...expected].sort((a, b) => a.ts - b.ts));
}

describe('GraphQL authentication', () => {
  it('answers UNAUTHENTICATED without a token or with a forged one', async () => {
    for (const token of [undefined, `${app.adminToken.slice(0, -4)}AAAA`, 'not-a-jwt']) {
      const result = await createGraphQLClient(app.baseUrl, token)(DevicesDocument, {});
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('devices', () => {
  it('registers a device, returns its token once, and finds it by filters', async () => {
    const first = await register('dev-filter-1', {
      labels: [{ key: 'site', value: 'north' }],
      location: { latitude: 52.5, longitude: 13.4 },
    });
    expect(first.token).toMatch(/\S{32,}/);
    await register('dev-filter-2', {
      type: 'hygrometer',
      labels: [{ key: 'site', value: 'south' }],
    });

    const bySite = await expectData(
      gql(DevicesDocument, { filter: { labels: [{ key: 'site', value: 'north' }] } }),
    );
    expect(bySite.devices.edges.map((edge) => edge.node.externalId)).toEqual(['dev-filter-1']);
    const byType = await expectData(gql(DevicesDocument, { filter: { type: 'hygrometer' } }));
    expect(byType.devices.edges.map((edge) => edge.node.externalId)).toEqual(['dev-filter-2']);
    const bySearch = await expectData(gql(DevicesDocument, { filter: { search: 'FILTER-2' } }));
    expect(bySearch.devices.edges).toHaveLength(1);
  });

  it('pages through devices with cursors, each exactly once', async () => {
    for (let i = 0; i < 5; i++) await register(`dev-page-${i}`, { type: 'pager' });
    const seen: string[] = [];
    let after: string | null | undefined;
    for (;;) {
      const data = await expectData(
        gql(DevicesDocument, { first: 2, after, filter: { type: 'pager' } }),
      );
      seen.push(...data.devices.edges.map((edge) => edge.node.externalId));
      if (!data.devices.pageInfo.hasNextPage) break;
      after = data.devices.pageInfo.endCursor;
    }
    expect(seen.sort()).toEqual([
      'dev-page-0',
      'dev-page-1',
      'dev-page-2',
      'dev-page-3',
      'dev-page-4',
    ]);
  });

  it('reports NOT_FOUND, CONFLICT and BAD_USER_INPUT with their codes', async () => {
    const missing = await gql(DeviceDocument, { id: '00000000-0000-4000-8000-00000000dead' });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await register('dev-dup');
    const duplicate = await gql(RegisterDeviceDocument, {
      input: { externalId: 'dev-dup', name: 'again', type: 't' },
    });
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const blank = await gql(RegisterDeviceDocument, {
      input: { externalId: ' ', name: 'x', type: 't' },
    });
    expect(blank.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const updated = await gql(UpdateDeviceDocument, {
      id: '00000000-0000-4000-8000-00000000dead',
      input: { name: 'x' },
    });
    expect(updated.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('ingest → store → query', () => {
  it('accepts a single point, an array and NDJSON, and stores each point once', async () => {
    const device = await register('dev-ingest');
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const single = await postTelemetry(
      app.baseUrl,
      device.token,
      JSON.stringify({ ts: t0, metrics: { temperature: 21.5, door_open: false, mode: 'eco' } }),
    );
    expect(single).toMatchObject({ status: 202, body: { accepted: 1 } });
    const array = await postTelemetry(
      app.baseUrl,
      device.token,
      JSON.stringify([
        { ts: new Date(t0 + 1000).toISOString(), metrics: { temperature: 22 } },
        { ts: t0 + 2000, metrics: { temperature: 22.5 } },
      ]),
    );
    expect(array).toMatchObject({ status: 202, body: { accepted: 2 } });
    const ndjson = await postTelemetry(
      app.baseUrl,
      device.token,
      `{"ts":${t0 + 3000},"metrics":{"temperature":23}}\n{"ts":${t0 + 4000},"metrics":{"temperature":23.5}}\n`,
      'application/x-ndjson',
    );
    expect(ndjson).toMatchObject({ status: 202, body: { accepted: 2 } });
    // The same point again: idempotent on (device, ts), the last write wins per metric.
    const lastSent = Date.now();
    await postTelemetry(
      app.baseUrl,
      device.token,
      JSON.stringify({ ts: t0 + 4000, metrics: { temperature: 24 } }),
    );
    await waitForCount(device.id, 5);

    const raw = await expectData(
      gql(RawTelemetryDocument, { id: device.id, ...WIDE_RANGE, first: 10 }),
    );
    const nodes = raw.device.rawTelemetry.edges.map((edge) => edge.node);
    expect(nodes[0]?.metrics).toEqual(
      expect.arrayContaining([
        { metric: 'temperature', value: 21.5 },
        { metric: 'door_open', value: false },
        { metric: 'mode', value: 'eco' },
      ]),
    );
    expect(nodes.at(-1)?.metrics).toEqual([{ metric: 'temperature', value: 24 }]);

    const latest = await expectData(gql(DeviceDocument, { id: device.id }));
    expect(latest.device.latest).toEqual(
      expect.arrayContaining([
        { metric: 'temperature', value: 24, ts: new Date(t0 + 4000).toISOString() },
        { metric: 'mode', value: 'eco', ts: new Date(t0).toISOString() },
      ]),
    );
    await eventually(
      async () => {
        // When the server received the newest point, not that point's own (January) time.
        const data = await expectData(gql(DeviceDocument, { id: device.id }));
        const seen = Date.parse(data.device.lastSeenAt ?? '');
        return seen >= lastSent && seen <= Date.now() ? true : undefined;
      },
      5_000,
      'lastSeenAt',
    );
  });

  it('aggregates into time buckets exactly as an independent computation does', async () => {
    const device = await register('dev-aggregate');
    const minute = 60_000;
    const start = Date.UTC(2026, 1, 1, 0, 0, 0);
    const samples: Sample[] = [];
    for (let i = 0; i < 240; i++) {
      // Three one-minute buckets with an empty one in between, uneven values.
      const bucket = [0, 1, 3][i % 3]!;
      samples.push({
        ts: start + bucket * minute + i * 137,
        value: Math.round(Math.sin(i) * 1000) / 10 + (i % 7),
      });
    }
    const body = samples
      .map((sample) =>
        JSON.stringify({ ts: sample.ts, metrics: { temperature: sample.value, label: 'x' } }),
      )
      .join('\n');
    expect(
      (await postTelemetry(app.baseUrl, device.token, body, 'application/x-ndjson')).status,
    ).toBe(202);
    await waitForCount(device.id, samples.length);

    const every = minute;
    const result = await expectData(
      gql(TelemetryDocument, {
        id: device.id,
        metrics: ['temperature'],
        from: new Date(start).toISOString(),
        to: new Date(start + 4 * minute).toISOString(),
        every: '1m',
        aggregates: [
          'MEAN',
          'MIN',
          'MAX',
          'SUM',
          'COUNT',
          'FIRST',
          'LAST',
          'P50',
          'P90',
          'P95',
          'P99',
          'MEDIAN',
          'STDDEV',
          'SPREAD',
          'INCREASE',
          'RATE',
        ],
      }),
    );
    const expected = referenceBuckets(samples, every);
    expect(result.device.telemetry.map((bucket) => bucket.start)).toEqual(
      expected.map((bucket) => new Date(bucket.start).toISOString()),
    );
    result.device.telemetry.forEach((bucket, index) => {
      const { start: _start, ...want } = expected[index]!;
      const got = bucket.metrics[0]!;
      expect(got.metric).toBe('temperature');
      for (const [name, value] of Object.entries(want)) {
        if (value === null) expect(got[name as keyof typeof got], name).toBeNull();
        else expect(got[name as keyof typeof got], name).toBeCloseTo(value, 9);
      }
    });

    const filled = await expectData(
      gql(TelemetryDocument, {
        id: device.id,
        metrics: ['temperature'],
        from: new Date(start).toISOString(),
        to: new Date(start + 4 * minute).toISOString(),
        every: '1m',
        aggregates: ['COUNT'],
        fill: 'ZERO',
      }),
    );
    expect(filled.device.telemetry.map((bucket) => bucket.metrics[0]?.count)).toEqual([
      expected[0]!.count,
      expected[1]!.count,
      0,
      expected[2]!.count,
    ]);

    const invalid = await gql(TelemetryDocument, {
      id: device.id,
      metrics: ['temperature'],
      from: new Date(start).toISOString(),
      to: new Date(start + minute).toISOString(),
      every: 'soon',
    });
    expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('gaps between buckets', () => {
  it('fills empty buckets with NULL, PREVIOUS and LINEAR as documented', async () => {
    const device = await register('dev-fill');
    const minute = 60_000;
    const start = Date.UTC(2026, 1, 2, 0, 0, 0);
    // Buckets 0, 3 and 4 of the minutes from `start` hold points; 1 and 2 are a gap between them,
    // and the window also has an empty bucket before the first and after the last.
    const byBucket: Record<number, number[]> = { 0: [10, 14.5], 3: [30, 31, 35], 4: [2] };
    const lines = Object.entries(byBucket).flatMap(([bucket, values]) =>
      values.map((value, i) =>
        JSON.stringify({
          ts: start + Number(bucket) * minute + i * 1_000,
          metrics: { temperature: value },
        }),
      ),
    );
    expect(
      (await postTelemetry(app.baseUrl, device.token, lines.join('\n'), 'application/x-ndjson'))
        .status,
    ).toBe(202);
    await waitForCount(device.id, lines.length);

    const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
    const max = (values: number[]) => Math.max(...values);
    const [m0, m3, m4] = [mean(byBucket[0]!), mean(byBucket[3]!), mean(byBucket[4]!)];
    const [x0, x3, x4] = [max(byBucket[0]!), max(byBucket[3]!), max(byBucket[4]!)];
    // Windows are [from, to): one bucket before `start`, buckets 0 to 5 after it.
    const starts = Array.from({ length: 7 }, (_, i) =>
      new Date(start + (i - 1) * minute).toISOString(),
    );
    const expected = {
      NULL: {
        mean: [null, m0, null, null, m3, m4, null],
        max: [null, x0, null, null, x3, x4, null],
      },
      // The last known bucket carried forward; nothing before the first.
      PREVIOUS: {
        mean: [null, m0, m0, m0, m3, m4, m4],
        max: [null, x0, x0, x0, x3, x4, x4],
      },
      // A straight line between the buckets either side of the gap; the edges stay empty.
      LINEAR: {
        mean: [null, m0, m0 + (m3 - m0) / 3, m0 + (2 * (m3 - m0)) / 3, m3, m4, null],
        max: [null, x0, x0 + (x3 - x0) / 3, x0 + (2 * (x3 - x0)) / 3, x3, x4, null],
      },
    };

    for (const [fill, want] of Object.entries(expected)) {
      const result = await expectData(
        gql(TelemetryDocument, {
          id: device.id,
          metrics: ['temperature'],
          from: starts[0]!,
          to: new Date(start + 6 * minute).toISOString(),
          every: '1m',
          aggregates: ['MEAN', 'MAX'],
          fill: fill as 'NULL' | 'PREVIOUS' | 'LINEAR',
        }),
      );
      const buckets = result.device.telemetry;
      expect(
        buckets.map((bucket) => bucket.start),
        fill,
      ).toEqual(starts);
      buckets.forEach((bucket, i) => {
        expect(
          bucket.metrics.map((m) => m.metric),
          `${fill} bucket ${i}`,
        ).toEqual(['temperature']);
        const got = bucket.metrics[0]!;
        for (const aggregate of ['mean', 'max'] as const) {
          const value = want[aggregate][i] ?? null;
          if (value === null) expect(got[aggregate], `${fill} ${aggregate} ${i}`).toBeNull();
          else expect(got[aggregate], `${fill} ${aggregate} ${i}`).toBeCloseTo(value, 9);
        }
      });
    }
  });
});

describe('bad input is refused and writes nothing', () => {
  const base = Date.UTC(2026, 2, 1);
  const second = 1_000;

  it('answers each documented error with its code and message, and stores none of it', async () => {
    const device = await register('dev-errors');
    // Every request below has its own ts and values: a leaked write would be a point of its own,
    // not merge into the good one at the end.
    const point = (n: number) =>
      JSON.stringify({ ts: base + n * second, metrics: { temperature: n } });

    const invalid = await postTelemetry(
      app.baseUrl,
      device.token,
      JSON.stringify([
        { ts: base + 1 * second, metrics: { temperature: 1 } },
        { ts: base + 2 * second, metrics: { temperature: 'x'.repeat(300) } },
        { ts: base + 3 * second, metrics: {} },
      ]),
    );
    expect(invalid).toMatchObject({
      status: 400,
      body: {
        code: 'INVALID_POINTS',
        message: '2 problem(s) in the body; nothing was accepted',
        errors: [
          { index: 1, field: 'metrics.temperature', reason: 'must be at most 256 characters' },
          { index: 2, field: 'metrics', reason: 'must hold 1 to 100 metrics' },
        ],
      },
    });
    expect(invalid.body.errors).toHaveLength(2);

    const unauthorized = {
      code: 'UNAUTHORIZED',
      message: 'a valid device token is required: Authorization: Bearer <token>',
    };
    expect(await postTelemetry(app.baseUrl, 'dev_unknown-token', point(4))).toMatchObject({
      status: 401,
      body: unauthorized,
    });
    expect(await postTelemetry(app.baseUrl, undefined, point(5))).toMatchObject({
      status: 401,
      body: unauthorized,
    });
    expect(await postTelemetry(app.baseUrl, device.token, point(6), 'text/plain')).toMatchObject({
      status: 415,
      body: {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'Content-Type must be application/json or application/x-ndjson',
      },
    });
    const get = await fetch(`${app.baseUrl}/v1/telemetry`, {
      headers: { authorization: `Bearer ${device.token}` },
    });
    expect(get.status).toBe(405);
    expect(await get.json()).toEqual({ code: 'METHOD_NOT_ALLOWED', message: 'use POST' });

    const lines = (from: number, count: number, metrics: (i: number) => object) =>
      Array.from({ length: count }, (_, i) =>
        JSON.stringify({ ts: base + from * second + i, metrics: metrics(i) }),
      ).join('\n');
    const oversized = await postTelemetry(
      app.baseUrl,
      device.token,
      lines(7, 8_000, (i) => ({ temperature: 7, note: `${i}`.padEnd(200, 'x') })),
      'application/x-ndjson',
    );
    expect(oversized).toMatchObject({
      status: 413,
      body: { code: 'PAYLOAD_TOO_LARGE', message: 'the body is larger than 1048576 bytes' },
    });
    const tooMany = await postTelemetry(
      app.baseUrl,
      device.token,
      lines(8, 10_001, () => ({ temperature: 8 })),
      'application/x-ndjson',
    );
    expect(tooMany).toMatchObject({
      status: 413,
      body: { code: 'PAYLOAD_TOO_LARGE', message: 'a request holds at most 10000 points' },
    });

    // Points travel in order: once a later good point is stored, the bad ones would have been too.
    expect(await postTelemetry(app.baseUrl, device.token, point(9))).toMatchObject({
      status: 202,
      body: { accepted: 1 },
    });
    await expectStoredExactly(device.id, [{ ts: base + 9 * second, temperature: 9 }]);

    // The process is still healthy.
    expect((await fetch(`${app.baseUrl}/ready`)).status).toBe(200);
  });

  it('keeps a rotated-out token working during the default grace period', async () => {
    const device = await register('dev-grace');
    const point = (n: number) =>
      JSON.stringify({ ts: base + n * second, metrics: { temperature: n } });
    const rotated = await expectData(gql(RotateDeviceTokenDocument, { id: device.id }));
    expect((await postTelemetry(app.baseUrl, device.token, point(1))).status).toBe(202);
    expect(
      (await postTelemetry(app.baseUrl, rotated.rotateDeviceToken.token, point(2))).status,
    ).toBe(202);
    await expectStoredExactly(device.id, [
      { ts: base + 1 * second, temperature: 1 },
      { ts: base + 2 * second, temperature: 2 },
    ]);
  });

  it('refuses a disabled device (403) and a rotated-out token (401), storing only what got 202', async () => {
    const device = await register('dev-lifecycle');
    const accepted: StoredPoint[] = [];
    let n = 0;
    /** Posts a point of its own (ts and value); returns the status and notes what was accepted. */
    const post = async (token: string) => {
      n++;
      const ts = base + n * second;
      const response = await postTelemetry(
        app.baseUrl,
        token,
        JSON.stringify({ ts, metrics: { temperature: n } }),
      );
      if (response.status === 202) accepted.push({ ts, temperature: n });
      return response;
    };

    const rotated = await expectData(
      gql(RotateDeviceTokenDocument, { id: device.id, gracePeriodSeconds: 0 }),
    );
    const newToken = rotated.rotateDeviceToken.token;
    // Ingest caches token lookups for a few seconds: the old token works until the cache expires.
    const revoked = await eventually(
      async () => {
        const response = await post(device.token);
        return response.status === 401 ? response : undefined;
      },
      15_000,
      'old token refused',
    );
    expect(revoked.body).toEqual({
      code: 'UNAUTHORIZED',
      message: 'a valid device token is required: Authorization: Bearer <token>',
    });
    expect((await post(newToken)).status).toBe(202);

    await expectData(gql(DisableDeviceDocument, { id: device.id }));
    const forbidden = await eventually(
      async () => {
        const response = await post(newToken);
        return response.status === 403 ? response : undefined;
      },
      15_000,
      'disabled device refused',
    );
    expect(forbidden.body).toEqual({ code: 'FORBIDDEN', message: 'this device is disabled' });
    expect((await post(device.token)).status).toBe(401);

    // Enabled again, a later point travels behind anything the refused requests could have sent.
    await expectData(gql(EnableDeviceDocument, { id: device.id }));
    await eventually(
      async () => ((await post(newToken)).status === 202 ? true : undefined),
      15_000,
      'enabled device accepted',
    );
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    await expectStoredExactly(device.id, accepted);
  });
});

describe('live telemetry', () => {
  it('delivers a new point to a graphql-ws subscriber as soon as it is stored', async () => {
    const device = await register('dev-live');
    const other = await register('dev-live-other');
    const client = liveClient(app.baseUrl, app.adminToken);
    try {
      const received: LiveTelemetrySubscription['telemetry'][] = [];
      const subscribed = new Promise<void>((resolve, reject) => {
        client.subscribe(
          { query: print(LiveTelemetryDocument), variables: { deviceIds: [device.id] } },
          {
            next: (message) => {
              if (message.data)
                received.push((message.data as LiveTelemetrySubscription).telemetry);
            },
            error: reject,
            complete: resolve,
          },
        );
      });
      void subscribed.catch(() => undefined);
      const ts = Date.now();
      // Keep posting until the subscription is registered and the point arrives.
      await eventually(
        async () => {
          await postTelemetry(
            app.baseUrl,
            other.token,
            JSON.stringify({ ts, metrics: { temperature: 1 } }),
          );
          await postTelemetry(
            app.baseUrl,
            device.token,
            JSON.stringify({ ts, metrics: { temperature: 42 } }),
          );
          await new Promise((resolve) => setTimeout(resolve, 100));
          return received.length > 0 ? true : undefined;
        },
        10_000,
        'a live point',
      );
      expect(received[0]).toEqual({
        deviceId: device.id,
        ts: new Date(ts).toISOString(),
        metrics: [{ metric: 'temperature', value: 42 }],
      });
      expect(received.every((point) => point.deviceId === device.id)).toBe(true);
    } finally {
      await client.dispose();
    }
  });

  it('streams a subscription over SSE with the headers GraphiQL sends', async () => {
    const device = await register('dev-sse');
    const params = new URLSearchParams({
      query: print(LiveTelemetryDocument),
      variables: JSON.stringify({ deviceIds: [device.id] }),
    });
    const controller = new AbortController();
    const response = await fetch(`${app.baseUrl}/graphql?${params}`, {
      headers: {
        accept: 'text/event-stream',
        authorization: `Bearer ${app.adminToken}`,
        'x-graphql-client': 'graphiql',
      },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const ts = Date.UTC(2026, 4, 1);
    let text = '';
    try {
      await eventually(
        async () => {
          await postTelemetry(
            app.baseUrl,
            device.token,
            JSON.stringify({ ts, metrics: { temperature: 7 } }),
          );
          const { value } = await reader.read();
          text += value ?? '';
          return text.includes('"temperature"') ? true : undefined;
        },
        10_000,
        'an SSE event',
      );
    } finally {
      controller.abort();
    }
    const event = text
      .split('\n')
      .find((line) => line.startsWith('data:') && line.includes('temperature'))!;
    expect(JSON.parse(event.slice('data:'.length))).toEqual({
      data: {
        telemetry: {
          deviceId: device.id,
          ts: new Date(ts).toISOString(),
          metrics: [{ metric: 'temperature', value: 7 }],
        },
      },
    });
  });

  it('refuses a subscription without a valid token and for an unknown device', async () => {
    const errorsFor = async (connectionParams: Record<string, string>, deviceIds: string[]) => {
      const client = liveClient(app.baseUrl, connectionParams);
      try {
        return await new Promise<unknown>((resolve) => {
          client.subscribe(
            { query: print(LiveTelemetryDocument), variables: { deviceIds } },
            {
              // A refused subscription arrives either as a protocol error (auth fails in
              // onSubscribe) or as a result carrying errors (the subscribe resolver throws).
              next: (message) => resolve(message.errors),
              error: resolve,
              complete: () => resolve(null),
            },
          );
        });
      } finally {
        await client.dispose();
      }
    };
    // Without a token the connection itself is refused in connection_init (4403 Forbidden).
    const unauthenticated = (await errorsFor({}, ['x'])) as { code?: number };
    expect(unauthenticated.code).toBe(4403);
    const unknown = (await errorsFor({ Authorization: `Bearer ${app.adminToken}` }, [
      '00000000-0000-4000-8000-00000000beef',
    ])) as { extensions?: { code?: string } }[];
    expect(unknown[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('unexpected errors', () => {
  // An identity provider whose key set cannot be fetched is a server fault (README, Security):
  // a reachable way to make a request fail unexpectedly without touching the code.
  const lines: string[] = [];
  const logs = new PassThrough();
  createInterface({ input: logs }).on('line', (line) => lines.push(line));
  const broken = useEmbeddedApp(
    {
      LOG_LEVEL: 'error',
      JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
      JWT_ALGORITHMS: 'HS256,RS256',
    },
    logs,
  );

  /** A well-formed RS256 token: verifying it needs the provider's key set. */
  function providerToken() {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${encode({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${encode({ sub: 'someone', org: 'o', exp: 4_000_000_000 })}.c2ln`;
  }

  it('are masked for the client: no message, no cause, a 500', async () => {
    const result = await createGraphQLClient(broken.baseUrl, providerToken())(DevicesDocument, {});
    expect(result.status).toBe(500);
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toEqual([
      { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    // Logged on the server, at error level, by the GraphQL component.
    await eventually(
      async () =>
        lines.some((line) => {
          const entry = JSON.parse(line) as { level?: number; component?: string };
          return entry.level === 50 && entry.component === 'graphql';
        })
          ? true
          : undefined,
      5_000,
      'an error in the log',
    );
  });

  it('are logged with their cause', async () => {
    // This request's own log line, not the previous test's.
    lines.length = 0;
    await createGraphQLClient(broken.baseUrl, providerToken())(DevicesDocument, {});
    await eventually(
      async () =>
        lines.some((line) => line.includes('key set is unavailable')) ? true : undefined,
      3_000,
      'the cause in the log',
    );
  });
});

describe('restart', () => {
  it('keeps devices, tokens and telemetry across a restart on the same data folder', async () => {
    const device = await register('dev-restart');
    const ts = Date.UTC(2026, 3, 1);
    await postTelemetry(
      app.baseUrl,
      device.token,
      JSON.stringify({ ts, metrics: { temperature: 7 } }),
    );
    await waitForCount(device.id, 1);
    await app.restart();
    gql = createGraphQLClient(app.baseUrl, app.adminToken);
    expect(await countPoints(device.id)).toBe(1);
    const again = await postTelemetry(
      app.baseUrl,
      device.token,
      JSON.stringify({ ts: ts + 1, metrics: { temperature: 8 } }),
    );
    expect(again.status).toBe(202);
    await waitForCount(device.id, 2);
  });
});
