import { describe, expect, it } from 'vitest';
import { BusOverloadedError } from '../../src/adapters/event-bus/errors.js';
import { createInProcessEventBus } from '../../src/adapters/event-bus/in-process-event-bus.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { describeEventBusContract } from './event-bus.contract.js';

describeEventBusContract('in-process', { redeliversAfterRestart: false }, async (options) => ({
  bus: createInProcessEventBus({ health: options }),
}));

const points = (count: number, from = 0): TelemetryPoint[] =>
  Array.from({ length: count }, (_, i) => ({
    orgId: 'org-a',
    deviceId: 'dev-1',
    ts: from + i,
    metrics: { t: i },
  }));

describe('in-process event bus specifics', () => {
  it('refuses a publish beyond maxQueuedPoints with BusOverloadedError, and accepts again once drained', async () => {
    const bus = createInProcessEventBus({ maxQueuedPoints: 10 });
    await bus.publish(points(8));
    await expect(bus.publish(points(3, 8))).rejects.toBeInstanceOf(BusOverloadedError);

    const received: TelemetryPoint[] = [];
    const consumer = await bus.consume(async (batch) => void received.push(...batch));
    await expect.poll(() => received.length).toBe(8);
    await bus.publish(points(3, 8));
    await expect.poll(() => received.length).toBe(11);
    expect(received.map((p) => p.ts)).toEqual(points(11).map((p) => p.ts));
    await consumer.stop();
    await bus.close();
  });

  it('close() delivers what is still queued before it resolves', async () => {
    const bus = createInProcessEventBus({ batchSize: 100 });
    const received: TelemetryPoint[] = [];
    await bus.consume(async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      received.push(...batch);
    });
    await bus.publish(points(1_000));
    await bus.close();
    expect(received).toHaveLength(1_000);
  });
});
