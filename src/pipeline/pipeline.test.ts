/**
 * The pipeline on stand-ins for its ports: what it costs per batch, and when the bus may
 * acknowledge one. The adapters behind the ports have their own contract suites.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TelemetryPoint } from '../domain/telemetry.js';
import { createLogger } from '../logger.js';
import type { AlertRepository } from '../ports/alert-repository.js';
import type { DeviceRepository } from '../ports/device-repository.js';
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
  };
  const devices = {
    recordLastSeen: vi.fn(async (_lastSeen: ReadonlyMap<string, number>) => undefined),
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
    logger: createLogger('silent', 'pipeline-test'),
  };
  const pipeline = createPipeline(options);
  const deliver = (batch: TelemetryPoint[]) => {
    if (!handler) throw new Error('the pipeline is not consuming');
    return handler(batch) as Promise<BatchResult | void>;
  };
  return { pipeline, deliver, store, live, devices };
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('pipeline', () => {
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
    // Live delivery likewise: one publish per batch.
    expect(live.publish).toHaveBeenCalledTimes(2);
    expect(live.publish.mock.calls[0]![0]).toEqual(first);
    await pipeline.stop();
  });

  it('lets the bus acknowledge a batch only once the store has it, and not if it failed', async () => {
    const { pipeline, deliver, store, live } = setUp();
    await pipeline.start();
    let finishWrite: (result: WriteResult) => void = () => undefined;
    store.write.mockImplementationOnce(
      () => new Promise<WriteResult>((resolve) => (finishWrite = resolve)),
    );
    let handled = false;
    const pending = deliver(points(2, 5)).then(() => (handled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(handled).toBe(false);
    expect(live.publish).not.toHaveBeenCalled();
    finishWrite({ rejected: [] });
    await pending;
    expect(live.publish).toHaveBeenCalledTimes(1);

    // A store failure rejects the handler (the bus redelivers) and publishes nothing live.
    store.write.mockRejectedValueOnce(new Error('store unreachable'));
    await expect(deliver(points(2, 5))).rejects.toThrow('store unreachable');
    expect(live.publish).toHaveBeenCalledTimes(1);
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
