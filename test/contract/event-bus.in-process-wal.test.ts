import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInProcessEventBus } from '../../src/adapters/event-bus/in-process-event-bus.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { describeEventBusContract } from './event-bus.contract.js';

const tempDir = () => mkdtemp(path.join(os.tmpdir(), 'iot-wal-'));

describeEventBusContract(
  'in-process with write-ahead log',
  { redeliversAfterRestart: false },
  async (options) => {
    const dir = await tempDir();
    return {
      bus: createInProcessEventBus({ walPath: path.join(dir, 'ingest.wal'), health: options }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
);

const points = (count: number, from = 0, deviceId = 'dev-1'): TelemetryPoint[] =>
  Array.from({ length: count }, (_, i) => ({
    orgId: 'org-a',
    deviceId,
    ts: from + i,
    metrics: { t: from + i, ok: true, fw: 'v1 – ü' },
  }));

describe('in-process event bus write-ahead log', () => {
  let dir: string;
  let walPath: string;
  beforeEach(async () => {
    dir = await tempDir();
    walPath = path.join(dir, 'ingest.wal');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const drain = async (bus: ReturnType<typeof createInProcessEventBus>, expected: number) => {
    const received: TelemetryPoint[] = [];
    await bus.consume(async (batch) => void received.push(...batch));
    await expect.poll(() => received.length).toBe(expected);
    return received;
  };

  it('redelivers every published point after a crash (bus dropped without close)', async () => {
    const crashed = createInProcessEventBus({ walPath });
    // Concurrent publishes, as from many ingest requests: coalesced into shared fsyncs.
    await Promise.all(Array.from({ length: 50 }, (_, i) => crashed.publish(points(20, i * 20))));

    const restarted = createInProcessEventBus({ walPath });
    const received = await drain(restarted, 1_000);
    expect(received.map((p) => p.ts).sort((a, b) => a - b)).toEqual(points(1_000).map((p) => p.ts));
    expect(received[0]).toEqual(points(1)[0]);
    await restarted.close();
  });

  it("replays a batch of several organizations and devices: each device's points in order, with its receipt time", async () => {
    const crashed = createInProcessEventBus({ walPath });
    const batch: TelemetryPoint[] = [
      { ...points(1, 0)[0]!, receivedAt: 1_000 },
      { ...points(1, 0, 'dev-2')[0]!, orgId: 'org-b', receivedAt: 1_001 },
      { ...points(1, 1)[0]!, receivedAt: 1_002 },
      points(1, 7, 'dev-3')[0]!,
    ];
    await crashed.publish(batch);

    const restarted = createInProcessEventBus({ walPath });
    const received = await drain(restarted, 4);
    const byDevice = (device: string) => received.filter((p) => p.deviceId === device);
    // A device's points share its newest receipt time: all that lastSeenAt needs.
    expect(byDevice('dev-1')).toEqual([
      { ...points(1, 0)[0]!, receivedAt: 1_002 },
      { ...points(1, 1)[0]!, receivedAt: 1_002 },
    ]);
    expect(byDevice('dev-2')).toEqual([{ ...batch[1]!, receivedAt: 1_001 }]);
    expect(byDevice('dev-3')).toStrictEqual([points(1, 7, 'dev-3')[0]]);
    await restarted.close();
  });

  it('replays a log written before the log held telemetry messages (one array of points per line)', async () => {
    await appendFile(walPath, `${JSON.stringify(points(2))}\n`);
    const upgraded = createInProcessEventBus({ walPath });
    await upgraded.publish(points(1, 5));
    expect(await drain(upgraded, 3)).toEqual([...points(2), ...points(1, 5)]);
    await upgraded.close();
  });

  it('ignores a torn last line (a write the crash cut short was never acknowledged)', async () => {
    const crashed = createInProcessEventBus({ walPath });
    await crashed.publish(points(3));
    await appendFile(walPath, '[{"orgId":"org-a","deviceId":"dev-1","ts":9');

    // Crash again after the restart published more: those must not be glued to the torn tail.
    const restarted = createInProcessEventBus({ walPath });
    await restarted.publish(points(2, 10));

    const again = createInProcessEventBus({ walPath });
    const received = await drain(again, 5);
    expect(received.map((p) => p.ts)).toEqual([0, 1, 2, 10, 11]);
    await again.close();
  });

  it('empties the log once everything queued was consumed', async () => {
    const bus = createInProcessEventBus({ walPath, batchSize: 100 });
    await bus.publish(points(250));
    expect((await stat(walPath)).size).toBeGreaterThan(0);
    await drain(bus, 250);
    await expect.poll(async () => (await stat(walPath)).size).toBe(0);
    await bus.close();

    const restarted = createInProcessEventBus({ walPath });
    await restarted.publish(points(1, 500));
    const received = await drain(restarted, 1);
    expect(received.map((p) => p.ts)).toEqual([500]);
    await restarted.close();
  });

  it('compacts a log that never empties (the consumer always one batch behind) to what is unconsumed', async () => {
    const bus = createInProcessEventBus({ walPath, walMaxBytes: 20_000 });
    const releases: (() => void)[] = [];
    await bus.consume(() => new Promise<void>((resolve) => releases.push(resolve)));
    for (let i = 0; i < 100; i++) {
      await bus.publish(points(20, i * 20));
      releases[i - 1]?.();
      await expect.poll(() => releases.length, { interval: 1 }).toBe(i + 1);
    }
    // 2,000 points logged (~125 kB), of which only the batch in flight is unconsumed.
    expect((await stat(walPath)).size).toBeLessThan(25_000);

    // Replay may repeat points consumed since the last compaction (harmless), never miss one.
    const restarted = createInProcessEventBus({ walPath });
    const received: TelemetryPoint[] = [];
    await restarted.consume(async (batch) => void received.push(...batch));
    await expect.poll(() => received.at(-1)?.ts).toBe(1_999);
    expect(received.length).toBeLessThan(400);
    expect(received.slice(-20).map((p) => p.ts)).toEqual(points(20, 1_980).map((p) => p.ts));
    await restarted.close();
    releases.at(-1)!();
    await bus.close();
  });
});
