import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInProcessEventBus } from '../../src/adapters/event-bus/in-process-event-bus.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { createIngestHandler } from '../../src/ingest/handler.js';
import type { EventBus } from '../../src/ports/event-bus.js';
import { createDeviceDouble, listen, post, silentLogger } from './ingest-test-kit.js';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const ORG = 'org-1';
const ACTIVE = 'dev_active-token';
const DISABLED = 'dev_disabled-token';
const limits = { maxBodyBytes: 4_096, maxPoints: 5 };

const devices = createDeviceDouble({
  [ACTIVE]: { deviceId: 'device-1', organizationId: ORG, status: 'ACTIVE' },
  [DISABLED]: { deviceId: 'device-2', organizationId: ORG, status: 'DISABLED' },
});
// The real in-process bus, bounded so a full bus (publish rejects) is reachable in a test.
const bus: EventBus = createInProcessEventBus({ logger: silentLogger, maxQueuedPoints: 20 });
const published: TelemetryPoint[][] = [];
const publish = vi.spyOn(bus, 'publish');
let server: Awaited<ReturnType<typeof listen>>;
let consumer: { stop(): Promise<void> } | undefined;

async function drain() {
  // Let the consumer take everything published so far.
  await vi.waitFor(() =>
    expect(published.flat().length).toBe(
      publish.mock.calls.reduce((sum, [points]) => sum + points.length, 0),
    ),
  );
}

beforeAll(async () => {
  server = await listen(
    createIngestHandler({ devices, bus, limits, logger: silentLogger, now: () => NOW }),
  );
  consumer = await bus.consume(async (points) => {
    published.push(points);
  });
});

afterAll(async () => {
  await consumer?.stop();
  await bus.close();
  await server.close();
});

beforeEach(async () => {
  await drain();
  published.length = 0;
  publish.mockClear();
});

const point = (ts: unknown, metrics: Record<string, unknown> = { temperature: 21.5 }) => ({
  ts,
  metrics,
});

describe('accepted requests', () => {
  it('takes one point, stamps it with the authenticated device and publishes it once', async () => {
    const response = await post(
      server.url,
      JSON.stringify({ ts: NOW - 1000, metrics: { temperature: 21.5, door: true, mode: 'eco' } }),
      { token: ACTIVE },
    );
    expect(response).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(publish).toHaveBeenCalledTimes(1);
    await drain();
    expect(published.flat()).toEqual([
      {
        orgId: ORG,
        deviceId: 'device-1',
        ts: NOW - 1000,
        metrics: { temperature: 21.5, door: true, mode: 'eco' },
        // When the server received it (its clock), whatever the point's own time says.
        receivedAt: NOW,
      },
    ]);
  });

  it('takes an array in one publish, with receive time for a missing ts', async () => {
    const body = JSON.stringify([point('2026-06-01T11:00:00.123456+02:00'), { metrics: { a: 1 } }]);
    const response = await post(server.url, body, {
      token: ACTIVE,
      contentType: 'application/json; charset=utf-8',
    });
    expect(response).toMatchObject({ status: 202, body: { accepted: 2 } });
    expect(publish).toHaveBeenCalledTimes(1);
    expect(publish.mock.calls[0]![0].map((p) => p.ts)).toEqual([
      Date.UTC(2026, 5, 1, 9, 0, 0, 123),
      NOW,
    ]);
  });

  it('takes NDJSON, skipping blank lines, in one publish', async () => {
    const body = `${JSON.stringify(point(NOW))}\n\n${JSON.stringify(point(NOW + 1))}\r\n`;
    const response = await post(server.url, body, {
      token: ACTIVE,
      contentType: 'application/x-ndjson',
    });
    expect(response).toMatchObject({ status: 202, body: { accepted: 2 } });
    expect(publish).toHaveBeenCalledTimes(1);
  });

  it('takes a gzip body', async () => {
    const body = gzipSync(JSON.stringify([point(NOW), point(NOW + 1)]));
    const response = await post(server.url, body, {
      token: ACTIVE,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(response).toMatchObject({ status: 202, body: { accepted: 2 } });
  });
});

describe('refused requests publish nothing', () => {
  const good = JSON.stringify(point(NOW));

  it('400 for a body that is not valid UTF-8, rather than storing U+FFFD in its place', async () => {
    const text = Buffer.from('{"metrics": {"mode": "caf\u00e9"}}');
    // "é" as a lone Latin-1 byte: not UTF-8.
    const latin1 = Buffer.from(text.toString().replace('\u00e9', 'E'));
    latin1[latin1.indexOf('E')] = 0xe9;
    const response = await post(server.url, latin1, { token: ACTIVE });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'INVALID_POINTS',
      errors: [{ index: -1, field: 'body', reason: 'is not valid UTF-8' }],
    });
    expect(publish).not.toHaveBeenCalled();
    // The same text in UTF-8 is taken.
    expect((await post(server.url, text, { token: ACTIVE })).status).toBe(202);
  });

  it('405 for other methods, with Allow: POST', async () => {
    const response = await post(server.url, undefined, { token: ACTIVE, method: 'GET' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(response.body.code).toBe('METHOD_NOT_ALLOWED');
    expect(publish).not.toHaveBeenCalled();
  });

  it('401 for a missing, unknown or malformed token', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer dev_nope' },
      { authorization: `Basic ${ACTIVE}` },
      { authorization: 'Bearer' },
    ]) {
      const response = await post(server.url, good, { headers });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect(publish).not.toHaveBeenCalled();
  });

  it('403 for a disabled device', async () => {
    const response = await post(server.url, good, { token: DISABLED });
    expect(response).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(publish).not.toHaveBeenCalled();
  });

  it('415 for other media types or content codings', async () => {
    for (const options of [
      { contentType: 'text/plain' },
      { contentType: '' },
      { headers: { 'content-encoding': 'br' } },
    ]) {
      const response = await post(server.url, good, { token: ACTIVE, ...options });
      expect(response.status).toBe(415);
      expect(response.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(publish).not.toHaveBeenCalled();
  });

  it('400 listing every bad point, and nothing of the good ones', async () => {
    const body = JSON.stringify([
      point(NOW),
      point(NOW, { temperature: 'x'.repeat(300) }),
      { metrics: {} },
      point('yesterday', { time: 1 }),
    ]);
    const response = await post(server.url, body, { token: ACTIVE });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_POINTS');
    expect(response.body.errors).toEqual([
      { index: 1, field: 'metrics.temperature', reason: expect.any(String) },
      { index: 2, field: 'metrics', reason: expect.any(String) },
      { index: 3, field: 'ts', reason: expect.any(String) },
      { index: 3, field: 'metrics.time', reason: expect.any(String) },
    ]);
    expect(publish).not.toHaveBeenCalled();
  });

  it('400 for a body that is not JSON', async () => {
    const response = await post(server.url, '{"ts":', { token: ACTIVE });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { index: -1, field: 'body', reason: expect.stringContaining('invalid JSON') },
    ]);
  });

  it('413 when Content-Length is over the limit', async () => {
    for (const size of [limits.maxBodyBytes + 1, 8 * 1024 * 1024]) {
      const response = await post(server.url, 'x'.repeat(size), { token: ACTIVE });
      expect(response).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    }
    expect(publish).not.toHaveBeenCalled();
  });

  it('413 as soon as a streamed body passes the limit, even one that never ends', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(1_024));
    // An endless chunked body: the answer can only come from stopping at the limit.
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(chunk);
      },
    });
    const response = await post(server.url, endless, { token: ACTIVE });
    expect(response).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(publish).not.toHaveBeenCalled();
  });

  it('413 for a gzip body whose decompressed size is over the limit', async () => {
    const bomb = gzipSync(' '.repeat(1_000_000));
    expect(bomb.length).toBeLessThan(limits.maxBodyBytes);
    const response = await post(server.url, bomb, {
      token: ACTIVE,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(response).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('413 for more points than allowed', async () => {
    const body = JSON.stringify(Array.from({ length: limits.maxPoints + 1 }, () => point(NOW)));
    const response = await post(server.url, body, { token: ACTIVE });
    expect(response).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(publish).not.toHaveBeenCalled();
  });

  it('503 with Retry-After when the bus refuses the points', async () => {
    // A bus with no consumer that holds at most 5 points: the second request finds it full.
    const fullBus = createInProcessEventBus({ logger: silentLogger, maxQueuedPoints: 5 });
    const fullPublish = vi.spyOn(fullBus, 'publish');
    const busy = await listen(
      createIngestHandler({ devices, bus: fullBus, limits, logger: silentLogger }),
    );
    try {
      const five = JSON.stringify(Array.from({ length: 5 }, (_, i) => point(NOW + i)));
      expect((await post(busy.url, five, { token: ACTIVE })).status).toBe(202);
      const response = await post(busy.url, good, { token: ACTIVE });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.body).toMatchObject({ code: 'UNAVAILABLE', message: expect.any(String) });
      expect(fullPublish).toHaveBeenCalledTimes(2);
    } finally {
      await busy.close();
      await fullBus.close();
    }
  });

  it('503 when the device lookup fails, without caching the failure', async () => {
    const failing = createDeviceDouble({
      [ACTIVE]: { deviceId: 'device-1', organizationId: ORG, status: 'ACTIVE' },
    });
    const flaky = await listen(
      createIngestHandler({ devices: failing, bus, limits, logger: silentLogger, now: () => NOW }),
    );
    try {
      failing.fail = true;
      const response = await post(flaky.url, good, { token: ACTIVE });
      expect(response).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });
      expect(response.headers.get('retry-after')).toBe('1');
      expect(publish).not.toHaveBeenCalled();
      failing.fail = false;
      expect((await post(flaky.url, good, { token: ACTIVE })).status).toBe(202);
    } finally {
      await flaky.close();
    }
  });
});

describe('device auth cache', () => {
  it('looks a token up once per TTL, hits and misses alike', async () => {
    const counted = createDeviceDouble({
      [ACTIVE]: { deviceId: 'device-1', organizationId: ORG, status: 'ACTIVE' },
    });
    const cached = await listen(
      createIngestHandler({
        devices: counted,
        bus,
        limits,
        logger: silentLogger,
        now: () => NOW,
        auth: { ttlMs: 300 },
      }),
    );
    try {
      const good = JSON.stringify(point(NOW));
      for (let i = 0; i < 5; i++) {
        expect((await post(cached.url, good, { token: ACTIVE })).status).toBe(202);
      }
      expect(counted.lookups).toBe(1);
      for (let i = 0; i < 5; i++) {
        expect((await post(cached.url, good, { token: 'dev_stuffed' })).status).toBe(401);
      }
      expect(counted.lookups).toBe(2);

      // Disabling shows once the cached answer expires.
      const [hash, identity] = [...counted.byHash.entries()][0]!;
      counted.byHash.set(hash, { ...identity, status: 'DISABLED' });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await post(cached.url, good, { token: ACTIVE })).status).toBe(403);
      expect(counted.lookups).toBe(3);
    } finally {
      await cached.close();
    }
  });
});
