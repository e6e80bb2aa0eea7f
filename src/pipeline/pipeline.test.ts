/**
 * The pipeline, in two settings. On stand-ins for its ports: what it costs per batch, and when the
 * bus may acknowledge one. On the in-process bus and DuckDB: points the store refuses for good
 * are handed back to the bus (never lost in silence), and its health follows the consumer's.
 * Points went live when ingest accepted them (src/app/live-on-accept.ts): the pipeline never
 * publishes one. The adapters behind the ports have their own contract suites.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInProcessEventBus } from '../adapters/event-bus/in-process-event-bus.js';
import { createInProcessLiveHub } from '../adapters/live-hub/in-process-live-hub.js';
import { createDuckDbTelemetryStore } from '../adapters/telemetry-store/duckdb-telemetry-store.js';
import type { AlertState } from '../domain/alerts.js';
import type { TelemetryPoint } from '../domain/telemetry.js';
import { createLogger } from '../logger.js';
import type { AlertRepository } from '../ports/alert-repository.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import { InputRefusedError } from '../ports/input-refused.js';
import type { BatchHandler, BatchResult, EventBus } from '../ports/event-bus.js';
import type { LiveHub } from '../ports/live-hub.js';
import type { TelemetryStore, WriteResult } from '../ports/telemetry-store.js';
import { createPipeline } from './pipeline.js';

const FLUSH_MS = 1_000;
const NOW = Date.UTC(2026, 5, 1, 12);

function points(deviceCount: number, perDevice: number, from = NOW - 60_000): TelemetryPoint[] {
  return Array.from({ length: deviceCount * perDevice }, (_, i) => ({
    orgId: 'org-1',
    deviceId: `device-${i % deviceCount}`,
    ts: from + i,
    metrics: { temperature: i },
  }));
}

/** The ports as small recording fakes; `deliver` hands a batch to the pipeline as a bus would. */
function setUp() {
  let handler: BatchHandler | undefined;
  const bus = {
    consume: vi.fn(async (h: BatchHandler) => {
      handler = h;
      return { stop: async () => undefined, health: () => ({ ok: true as const }) };
    }),
  };
  const store = {
    write: vi.fn(async (_points: readonly TelemetryPoint[]): Promise<WriteResult> => ({
      rejected: [],
    })),
  };
  const live = {
    publish: vi.fn(async (_points: readonly TelemetryPoint[]) => undefined),
    publishAlerts: vi.fn(async () => undefined),
    publishConnectivity: vi.fn(async () => undefined),
  };
  const devices = {
    recordLastSeen: vi.fn(async (_lastSeen: ReadonlyMap<string, number>) => undefined),
    recomputeDeadlines: vi.fn(async () => undefined),
    sweepConnectivity: vi.fn(async () => []),
    findDevices: vi.fn(async (_org: string, ids: readonly string[]) => ids.map(() => null)),
  };
  // No alert rules: evaluating a batch reads the (empty) rule list and nothing else.
  const alerts = {
    listRules: vi.fn(async () => []),
    getStates: vi.fn(async () => []),
    saveStates: vi.fn(async () => undefined),
  };
  // Built as a variable, not a literal: the options may grow (alerts came in while this was
  // written) without every stand-in having to be listed in them.
  const options = {
    bus: bus as unknown as EventBus,
    store: store as unknown as TelemetryStore,
    live: live as unknown as LiveHub,
    devices: devices as unknown as DeviceRepository,
    alerts: alerts as unknown as AlertRepository,
    lastSeenFlushMs: FLUSH_MS,
    connectivitySweepMs: 60_000,
    logger: createLogger('silent', 'pipeline-test'),
  };
  const pipeline = createPipeline(options);
  const deliver = (batch: TelemetryPoint[]) => {
    if (!handler) throw new Error('the pipeline is not consuming');
    return handler(batch) as Promise<BatchResult | void>;
  };
  return { pipeline, deliver, store, live, devices, options };
}

describe('pipeline on stand-ins for its ports', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes one store batch per bus batch, not one per point', async () => {
    const { pipeline, deliver, store, live } = setUp();
    await pipeline.start();
    const first = points(10, 500);
    const second = points(3, 1, NOW - 1_000);
    await deliver(first);
    await deliver(second);

    expect(store.write).toHaveBeenCalledTimes(2);
    expect(store.write.mock.calls[0]![0]).toEqual(first);
    expect(store.write.mock.calls[1]![0]).toEqual(second);
    expect(live.publish).not.toHaveBeenCalled();
    await pipeline.stop();
  });

  it('lets the bus acknowledge a batch only once the store has it, and not if it failed', async () => {
    const { pipeline, deliver, store } = setUp();
    await pipeline.start();
    let finishWrite: (result: WriteResult) => void = () => undefined;
    store.write.mockImplementationOnce(
      () => new Promise<WriteResult>((resolve) => (finishWrite = resolve)),
    );
    let handled = false;
    const pending = deliver(points(2, 5)).then(() => (handled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(handled).toBe(false);
    finishWrite({ rejected: [] });
    await pending;
    expect(handled).toBe(true);

    // A store failure rejects the handler: the bus redelivers.
    store.write.mockRejectedValueOnce(new Error('store unreachable'));
    await expect(deliver(points(2, 5))).rejects.toThrow('store unreachable');
    await pipeline.stop();
  });

  it("writes devices' lastSeenAt once per flush interval, however many points arrive", async () => {
    const { pipeline, deliver, devices } = setUp();
    await pipeline.start();
    // 50 batches of 5 devices x 100 points within one interval.
    for (let batch = 0; batch < 50; batch++) await deliver(points(5, 100, NOW - 100_000 + batch));
    expect(devices.recordLastSeen).not.toHaveBeenCalled();

    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(devices.recordLastSeen).toHaveBeenCalledTimes(1);
    const written = devices.recordLastSeen.mock.calls[0]![0];
    expect([...written.keys()].sort()).toEqual([0, 1, 2, 3, 4].map((i) => `device-${i}`));
    // Each device's newest point of all 50 batches.
    const all = Array.from({ length: 50 }, (_, batch) => points(5, 100, NOW - 100_000 + batch));
    for (const [deviceId, seen] of written) {
      const newest = Math.max(
        ...all
          .flat()
          .filter((point) => point.deviceId === deviceId)
          .map((point) => point.ts),
      );
      expect(seen, deviceId).toBe(newest);
    }

    // Nothing new: no write at the next interval.
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(devices.recordLastSeen).toHaveBeenCalledTimes(1);
    // Stopping writes what is pending.
    await deliver(points(1, 1, NOW - 10));
    await pipeline.stop();
    expect(devices.recordLastSeen).toHaveBeenCalledTimes(2);
    expect([...devices.recordLastSeen.mock.calls[1]![0]]).toEqual([['device-0', NOW - 10]]);
  });
});

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

const lastSeenOnly = {
  recordLastSeen: async () => undefined,
  recomputeDeadlines: async () => undefined,
  sweepConnectivity: async () => [],
} as unknown as DeviceRepository;
// No alert rules: these tests are about the store and the bus (alerts: alert-evaluator.test.ts).
const noAlertRules = { listRules: async () => [] } as unknown as AlertRepository;

const point = (ts: number, level: number | string): TelemetryPoint => ({
  orgId: 'org',
  deviceId: 'dev',
  ts,
  metrics: { level },
});

describe('pipeline on the in-process bus and DuckDB', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(inner: TelemetryStore, health?: { unhealthyAfterMs: number }) {
    const { logger, lines } = capturedLogger();
    const bus = createInProcessEventBus({ logger, ...(health ? { health } : {}) });
    const stored: TelemetryPoint[] = [];
    const store: TelemetryStore = {
      ...inner,
      async write(points) {
        const result = await inner.write(points);
        const refused = new Set(result.rejected.map(({ point }) => point));
        stored.push(...points.filter((point) => !refused.has(point)));
        return result;
      },
    };
    const pipeline = createPipeline({
      bus,
      store,
      live: createInProcessLiveHub(),
      devices: lastSeenOnly,
      alerts: noAlertRules,
      lastSeenFlushMs: 60_000,
      connectivitySweepMs: 60_000,
      logger,
    });
    expect(pipeline.health()).toMatchObject({ ok: false, reason: 'not consuming yet' });
    await pipeline.start();
    cleanups.push(async () => {
      await pipeline.stop();
      await bus.close();
      await store.close();
    });
    return { bus, pipeline, stored, lines };
  }

  it('stores what the store takes, and reports the refused points with their reason', async () => {
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
    const { bus, pipeline, stored, lines } = await start(store);
    await bus.publish([point(1, 1), point(2, 'high'), point(3, 3)]);
    await bus.publish([point(4, 4)]);

    await vi.waitFor(() => expect(stored.map((p) => p.ts)).toEqual([1, 3, 4]));
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
    const { bus, pipeline, stored, lines } = await start(store, { unhealthyAfterMs: 0 });
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
    await vi.waitFor(() => expect(stored).toHaveLength(1), { timeout: 20_000 });
    await vi.waitFor(() => expect(pipeline.health()).toEqual({ ok: true }));
  });
});

describe('pipeline with poison input (a refusal that recurs on every retry)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const orgPoint = (orgId: string, deviceId: string, ts: number, mode: string): TelemetryPoint => ({
    orgId,
    deviceId,
    ts,
    metrics: { mode },
  });

  it('sets aside only the points an alert state write refuses, and evaluates every other organization', async () => {
    const { pipeline, deliver, store, live, alerts } = setUpWithRules();
    await pipeline.start();
    const poison = orgPoint('org-a', 'dev-a', NOW - 3, REFUSED_BY_DATABASE);
    const batch = [
      orgPoint('org-a', 'dev-a2', NOW - 4, 'manual'),
      poison,
      orgPoint('org-b', 'dev-b', NOW - 2, 'manual'),
      orgPoint('org-b', 'dev-b', NOW - 1, 'eco'),
    ];
    const result = await deliver(batch);

    expect(result?.rejected).toEqual([
      { point: poison, reason: 'alert evaluation: the database refuses this value' },
    ]);
    // Every point was stored once: the refusal came after.
    expect(store.write).toHaveBeenCalledTimes(1);
    // Each organization's status changes were published once, not once per narrowing rerun.
    expect(live.publishAlerts).toHaveBeenCalledTimes(2);
    // Both organizations' other devices had their states saved.
    const saved = alerts.saved.map((state) => `${state.organizationId}/${state.deviceId}`);
    expect(saved).toEqual(expect.arrayContaining(['org-a/dev-a2', 'org-b/dev-b']));
    expect(saved).not.toContain('org-a/dev-a');
    await pipeline.stop();
  });

  it('sets aside a point that breaks the text rule before any stage: never stored or evaluated', async () => {
    const { pipeline, deliver, store, alerts } = setUpWithRules();
    await pipeline.start();
    const nul = orgPoint('org-a', 'dev-a', NOW - 2, 'a\u0000b');
    const lone = orgPoint('org-a', 'dev-c', NOW - 2, 'a\ud800');
    const good = orgPoint('org-b', 'dev-b', NOW - 1, 'eco');
    const result = await deliver([nul, good, lone]);

    expect(result?.rejected).toEqual([
      { point: nul, reason: 'admission: metrics.mode must not contain NUL (U+0000)' },
      {
        point: lone,
        reason: expect.stringMatching(/^admission: metrics.mode must not contain an unpaired/),
      },
    ]);
    expect(store.write.mock.calls.flatMap(([part]) => part)).toEqual([good]);
    expect(alerts.saved.map((state) => state.deviceId)).toEqual(['dev-b']);
    await pipeline.stop();
  });

  it('sets aside the points a store refuses by throwing InputRefusedError, and stores the rest', async () => {
    const { pipeline, deliver, store } = setUpWithRules();
    await pipeline.start();
    const kept: TelemetryPoint[] = [];
    store.write.mockImplementation(async (part: readonly TelemetryPoint[]) => {
      if (part.some((p) => p.metrics.mode === 'too odd')) {
        throw new InputRefusedError('the store cannot keep "too odd"');
      }
      kept.push(...part);
      return { rejected: [] };
    });
    const odd = orgPoint('org-a', 'dev-a', NOW - 5, 'too odd');
    const batch = [1, 2, 3, 4, 5, 6, 7].map((i) =>
      orgPoint('org-b', `dev-${i}`, NOW - 10 - i, 'ok'),
    );
    batch.splice(3, 0, odd);
    const result = await deliver(batch);

    expect(result?.rejected).toEqual([
      { point: odd, reason: 'store: the store cannot keep "too odd"' },
    ]);
    expect(kept.sort((a, b) => a.ts - b.ts)).toEqual(
      batch.filter((p) => p !== odd).sort((a, b) => a.ts - b.ts),
    );
    await pipeline.stop();
  });

  it('retries a batch after an outage without storing its points a second time', async () => {
    const { pipeline, deliver, store, alerts } = setUpWithRules();
    await pipeline.start();
    alerts.failNextSave(new Error('connection terminated'));
    const batch = [orgPoint('org-a', 'dev-a', NOW - 1, 'eco')];
    await expect(deliver(batch)).rejects.toThrow('connection terminated');
    await expect(deliver(batch)).resolves.toEqual({ rejected: [] });

    expect(store.write).toHaveBeenCalledTimes(1);
    expect(alerts.saved.map((state) => state.deviceId)).toEqual(['dev-a']);
    await pipeline.stop();
  });
});

/** A value the stand-in state write refuses for good, as PostgreSQL refuses what it cannot keep. */
const REFUSED_BY_DATABASE = 'refused by the database';

/**
 * setUp() with one rule per organization (mode NEQ "auto") on every device, and a state write
 * that refuses REFUSED_BY_DATABASE for good.
 */
function setUpWithRules() {
  const fixture = setUp();
  const saved: AlertState[] = [];
  let failure: Error | undefined;
  const alerts = fixture.options.alerts as unknown as Record<string, ReturnType<typeof vi.fn>>;
  alerts.listRules!.mockImplementation(async (organizationId: string) => [
    {
      id: `rule-${organizationId}`,
      organizationId,
      name: 'mode',
      kind: 'THRESHOLD',
      forDurationMs: 0,
      clearThreshold: null,
      metric: 'mode',
      condition: 'NEQ',
      threshold: 'auto',
      deviceType: null,
      deviceLabels: {},
      enabled: true,
    },
  ]);
  const devices = fixture.options.devices as unknown as Record<string, ReturnType<typeof vi.fn>>;
  devices.findDevices!.mockImplementation(async (_org: string, ids: readonly string[]) =>
    ids.map(() => ({ type: 'sensor', labels: {} })),
  );
  alerts.saveStates!.mockImplementation(async (_org: string, states: AlertState[]) => {
    if (failure) {
      const error = failure;
      failure = undefined;
      throw error;
    }
    if (states.some((state) => state.value === REFUSED_BY_DATABASE)) {
      throw new InputRefusedError('the database refuses this value');
    }
    saved.push(...states);
  });
  return {
    ...fixture,
    alerts: {
      saved,
      failNextSave(error: Error) {
        failure = error;
      },
    },
  };
}
