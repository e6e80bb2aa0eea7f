/**
 * The live path (live-on-accept.ts) on the in-process bus and live hub, with a pipeline stand-in
 * whose store write is held open: a point reaches a subscriber as soon as the bus accepted it,
 * before it is stored, and `storedThrough` waits for exactly what was queued before it was
 * called, or gives up with STORE_TIMEOUT's error. The Kafka bus's consumedThrough, which
 * production's storedThrough rests on, is in the event bus contract.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createInProcessEventBus } from '../adapters/event-bus/in-process-event-bus.js';
import { createInProcessLiveHub } from '../adapters/live-hub/in-process-live-hub.js';
import type { TelemetryPoint } from '../domain/telemetry.js';
import { createLogger } from '../logger.js';
import { livePointsUnpublished } from '../metrics/live-metrics.js';
import { StoreTimeoutError } from '../ports/store-timeout.js';
import { publishingOnAccept, storedThroughOn } from './live-on-accept.js';

const point = (ts: number): TelemetryPoint => ({
  orgId: 'org',
  deviceId: 'd1',
  ts,
  metrics: { power: ts },
});

/** The in-process bus and live hub as the embedded app composes them, with a gated store. */
async function compose(storeTimeoutMs = 5_000) {
  const bus = createInProcessEventBus();
  const live = createInProcessLiveHub();
  const accepted = {
    bus: publishingOnAccept(bus, live, createLogger('silent', 'test')),
    storedThrough: storedThroughOn(bus, storeTimeoutMs),
  };
  const stored: number[] = [];
  let open!: () => void;
  let gate = new Promise<void>((resolve) => (open = resolve));
  await bus.consume(async (batch) => {
    await gate;
    stored.push(...batch.map((p) => p.ts));
    return { rejected: [] };
  });
  const seenLive: number[] = [];
  await live.subscribe('org', 'd1', (p) => seenLive.push(p.ts));
  return {
    accepted,
    stored,
    seenLive,
    openStore() {
      open();
      gate = Promise.resolve();
    },
    close: async () => {
      open();
      await bus.close();
      await live.close();
    },
  };
}

describe('live on accept', () => {
  it('delivers a point live once the bus has it, before the store does', async () => {
    const app = await compose();
    try {
      await app.accepted.bus.publish([point(1), point(2)]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(app.seenLive).toEqual([1, 2]);
      expect(app.stored).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('publishes live, as one publish and in order, the points of publishes acknowledged together', async () => {
    let acknowledge!: () => void;
    const acknowledged = new Promise<void>((resolve) => (acknowledge = resolve));
    const bus = createInProcessEventBus();
    const published: TelemetryPoint[][] = [];
    const live = {
      ...createInProcessLiveHub(),
      publish: async (points: readonly TelemetryPoint[]) => void published.push([...points]),
    };
    const accepting = publishingOnAccept(
      { ...bus, publish: () => acknowledged },
      live,
      createLogger('silent', 'test'),
    );
    const requests = [[point(1), point(2)], [point(3)], [point(4), point(5)]].map((points) =>
      accepting.publish(points),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(published).toEqual([]);
    acknowledge();
    await Promise.all(requests);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(published.map((batch) => batch.map((p) => p.ts))).toEqual([[1, 2, 3, 4, 5]]);
    await bus.close();
  });

  it('accepts points whatever the live hub does, counting what it missed and warning once a while', async () => {
    const lines: { msg?: string; points?: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line));
        done();
      },
    });
    const bus = createInProcessEventBus();
    const live = {
      ...createInProcessLiveHub(),
      publish: async () => {
        throw new Error('redis: connection refused');
      },
    };
    const accepting = publishingOnAccept(bus, live, createLogger('warn', 'test', sink));
    const missedBefore = (await livePointsUnpublished.get()).values[0]?.value ?? 0;
    await accepting.publish([point(1), point(2)]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await accepting.publish([point(3)]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await livePointsUnpublished.get()).values[0]?.value).toBe(missedBefore + 3);
    // The first failure is told at once; the next ones within WARN_EVERY_MS only counted.
    expect(lines.filter((line) => /live publish at accept failed/.test(line.msg ?? ''))).toEqual([
      expect.objectContaining({ points: 2 }),
    ]);
    await bus.close();
  });

  it('resolves storedThrough once everything queued before it is stored, not before', async () => {
    const app = await compose();
    try {
      await app.accepted.bus.publish([point(1)]);
      await app.accepted.bus.publish([point(2)]);
      let settled = false;
      const through = app.accepted.storedThrough().then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settled).toBe(false);
      app.openStore();
      await through;
      expect(app.stored).toEqual([1, 2]);
      // Nothing queued since: at once. Then counted on from there.
      await app.accepted.storedThrough();
      await app.accepted.bus.publish([point(3)]);
      await app.accepted.storedThrough();
      expect(app.stored).toEqual([1, 2, 3]);
    } finally {
      await app.close();
    }
  });

  it('gives up with a store timeout when the store stays behind', async () => {
    const app = await compose(100);
    try {
      await app.accepted.bus.publish([point(1)]);
      await expect(app.accepted.storedThrough()).rejects.toBeInstanceOf(StoreTimeoutError);
    } finally {
      await app.close();
    }
  });
});
