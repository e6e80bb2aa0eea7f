/**
 * The pipeline between bus and store: points the store refuses for good are handed back to the
 * bus (never published live, never lost in silence), and its health follows the consumer's.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInProcessEventBus } from '../../src/adapters/event-bus/in-process-event-bus.js';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { createLogger } from '../../src/logger.js';
import { createPipeline } from '../../src/pipeline/pipeline.js';
import type { AlertRepository } from '../../src/ports/alert-repository.js';
import type { DeviceRepository } from '../../src/ports/device-repository.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';

/** JSON log lines, as an operator would read them. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('debug', 'test', sink), lines };
}

const devices = { recordLastSeen: async () => undefined } as unknown as DeviceRepository;
// No alert rules: these tests are about the store and the bus (alerts: alert-evaluator.test.ts).
const alerts = { listRules: async () => [] } as unknown as AlertRepository;

const point = (ts: number, level: number | string): TelemetryPoint => ({
  orgId: 'org',
  deviceId: 'dev',
  ts,
  metrics: { level },
});

describe('pipeline', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(store: TelemetryStore, health?: { unhealthyAfterMs: number }) {
    const { logger, lines } = capturedLogger();
    const bus = createInProcessEventBus({ logger, ...(health ? { health } : {}) });
    const live = createInProcessLiveHub();
    const pipeline = createPipeline({
      bus,
      store,
      live,
      devices,
      alerts,
      lastSeenFlushMs: 60_000,
      logger,
    });
    const published: TelemetryPoint[] = [];
    await live.subscribe('org', 'dev', (p) => published.push(p));
    expect(pipeline.health()).toMatchObject({ ok: false, reason: 'not consuming yet' });
    await pipeline.start();
    cleanups.push(async () => {
      await pipeline.stop();
      await bus.close();
      await store.close();
    });
    return { bus, pipeline, published, lines };
  }

  it('publishes live only what the store kept, and reports the refused points with their reason', async () => {
    const inner = await createDuckDbTelemetryStore({ path: ':memory:' });
    // A store that refuses string levels, as InfluxDB does after a field type conflict.
    const store: TelemetryStore = {
      ...inner,
      async write(points) {
        const refused = points.filter((p) => typeof p.metrics.level === 'string');
        await inner.write(points.filter((p) => !refused.includes(p)));
        return { rejected: refused.map((p) => ({ point: p, reason: 'field type conflict' })) };
      },
      close: () => inner.close(),
    };
    const { bus, pipeline, published, lines } = await start(store);
    await bus.publish([point(1, 1), point(2, 'high'), point(3, 3)]);
    await bus.publish([point(4, 4)]);

    await vi.waitFor(() => expect(published.map((p) => p.ts)).toEqual([1, 3, 4]));
    const refusal = lines.find((line) => line.reason === 'field type conflict');
    expect(refusal).toMatchObject({ level: 50, deviceId: 'dev', ts: 2 });
    expect(pipeline.health()).toEqual({ ok: true });
  });

  it('is not ready while its batches keep failing, logs errors, and is ready again once one succeeds', async () => {
    const inner = await createDuckDbTelemetryStore({ path: ':memory:' });
    let down = true;
    const store: TelemetryStore = {
      ...inner,
      async write(points) {
        if (down) throw new Error('InfluxDB answered 503');
        return inner.write(points);
      },
      close: () => inner.close(),
    };
    const { bus, pipeline, published, lines } = await start(store, { unhealthyAfterMs: 0 });
    await bus.publish([point(1, 1)]);
    await vi.waitFor(() =>
      expect(pipeline.health()).toEqual({
        ok: false,
        reason: expect.stringContaining('InfluxDB answered 503'),
      }),
    );
    // Retried without limit, but not quietly: after the first few warnings, errors.
    await vi.waitFor(
      () =>
        expect(lines.some((line) => line.level === 50 && /failing/.test(String(line.msg)))).toBe(
          true,
        ),
      { timeout: 20_000 },
    );
    expect(lines.find((line) => line.level === 40)).toMatchObject({ attempt: 0 });
    down = false;
    // The next attempt comes after the current backoff (a few seconds by now).
    await vi.waitFor(() => expect(published).toHaveLength(1), { timeout: 20_000 });
    await vi.waitFor(() => expect(pipeline.health()).toEqual({ ok: true }));
  });
});
