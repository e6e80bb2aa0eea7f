/**
 * The ingest process's HTTP server as src/app/processes.ts assembles it: the shared service
 * server (src/http/service-server.ts) with the ingest handler on /v1/telemetry, /health, /ready
 * over the process's dependencies, and a graceful close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessEventBus } from '../../src/adapters/event-bus/in-process-event-bus.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import type { ReadinessCheck } from '../../src/http/readiness.js';
import { createServiceServer } from '../../src/http/service-server.js';
import { createIngestHandler } from '../../src/ingest/handler.js';
import type { EventBus } from '../../src/ports/event-bus.js';
import { createDeviceDouble, post, silentLogger } from './ingest-test-kit.js';

const TOKEN = 'dev_server-test-token';
const devices = createDeviceDouble({
  [TOKEN]: { deviceId: 'device-1', organizationId: 'org-1', status: 'ACTIVE' },
});
const limits = { maxBodyBytes: 4_096, maxPoints: 10 };
const body = JSON.stringify({ metrics: { temperature: 21.5 } });

let running: { close(deadlineMs: number): Promise<void> } | undefined;

async function start(bus: Pick<EventBus, 'publish'>, readiness: ReadinessCheck[] = []) {
  const http = createServiceServer({
    routes: {
      '/v1/telemetry': createIngestHandler({ devices, bus, limits, logger: silentLogger }),
    },
    readiness,
    logger: silentLogger,
  });
  const { port } = await http.listen(0, '127.0.0.1');
  running = http;
  return { http, base: `http://127.0.0.1:${port}` };
}

afterEach(async () => {
  await running?.close(1_000);
  running = undefined;
});

async function getJson(url: string) {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as unknown };
}

describe('ingest server routes', () => {
  it('hands POST /v1/telemetry to the ingest handler, through to the bus consumer', async () => {
    const bus = createInProcessEventBus({ logger: silentLogger });
    const delivered: TelemetryPoint[] = [];
    const consumer = await bus.consume(async (points) => {
      delivered.push(...points);
    });
    const { base } = await start(bus);

    const response = await post(`${base}/v1/telemetry`, body, { token: TOKEN });

    expect(response).toMatchObject({ status: 202, body: { accepted: 1 } });
    await expect.poll(() => delivered.length).toBe(1);
    expect(delivered[0]).toMatchObject({ deviceId: 'device-1', metrics: { temperature: 21.5 } });
    await consumer.stop();
    await bus.close();
  });

  it('answers /health while the process runs, whatever its dependencies say', async () => {
    const failing = [{ name: 'kafka', check: () => Promise.reject(new Error('down')) }];
    const { base } = await start(createInProcessEventBus(), failing);

    expect(await getJson(`${base}/health`)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers /ready 200 when every dependency answers, 503 naming the one that does not', async () => {
    let kafkaUp = true;
    const { base } = await start(createInProcessEventBus(), [
      { name: 'postgres', check: async () => {} },
      {
        name: 'kafka',
        check: async () => {
          if (!kafkaUp) throw new Error('broker unreachable');
        },
      },
    ]);

    expect(await getJson(`${base}/ready`)).toMatchObject({ status: 200, body: { ready: true } });

    kafkaUp = false;
    expect(await getJson(`${base}/ready`)).toEqual({
      status: 503,
      body: {
        ready: false,
        checks: [
          { name: 'postgres', ok: true },
          { name: 'kafka', ok: false, error: 'broker unreachable' },
        ],
      },
    });
  });

  it('answers /ready 503 when a dependency hangs, instead of hanging itself', async () => {
    const hanging = [{ name: 'postgres', check: () => new Promise<void>(() => {}) }];
    const { base } = await start(createInProcessEventBus(), hanging);

    const started = Date.now();
    const response = await getJson(`${base}/ready`);

    expect(response).toMatchObject({
      status: 503,
      body: { ready: false, checks: [{ name: 'postgres', ok: false }] },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 404 JSON for any other path', async () => {
    const { base } = await start(createInProcessEventBus());

    expect(await getJson(`${base}/v1/other`)).toEqual({
      status: 404,
      body: { code: 'NOT_FOUND', message: 'no route for /v1/other' },
    });
  });
});

/** A bus whose publish waits for the test to let it go. */
function gatedBus() {
  let publishing: () => void = () => {};
  let release: () => void = () => {};
  const called = new Promise<void>((resolve) => (publishing = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    bus: {
      publish: async () => {
        publishing();
        await gate;
      },
    },
    called,
    release,
  };
}

describe('ingest server close', () => {
  it('stops accepting, lets an in-flight request finish with its 202, then resolves', async () => {
    const { bus, called, release } = gatedBus();
    const { http, base } = await start(bus);

    const inFlight = post(`${base}/v1/telemetry`, body, { token: TOKEN });
    await called;
    let closed = false;
    const closing = http.close(5_000).then(() => (closed = true));

    await expect(fetch(`${base}/health`)).rejects.toThrow();
    expect(closed).toBe(false);

    release();
    expect(await inFlight).toMatchObject({ status: 202, body: { accepted: 1 } });
    await closing;
    running = undefined;
  });

  it('drops a request still running at the deadline rather than waiting for ever', async () => {
    const { bus, called } = gatedBus(); // never released
    const { http, base } = await start(bus);

    const inFlight = post(`${base}/v1/telemetry`, body, { token: TOKEN });
    await called;
    const started = Date.now();
    await http.close(300);

    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(inFlight).rejects.toThrow();
    running = undefined;
  });
});
