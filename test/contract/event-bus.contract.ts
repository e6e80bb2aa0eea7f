import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { BusUnavailableError } from '../../src/adapters/event-bus/errors.js';
import type { BatchHandler, BusConsumer, EventBus } from '../../src/ports/event-bus.js';

export interface EventBusFixture {
  bus: EventBus;
  /** A new bus on the same topic and consumer group, as after a process restart. */
  reopen?: () => Promise<EventBus>;
  cleanup?: () => Promise<void>;
}

/** Settings a test may ask of a bus it opens. */
export interface EventBusOpenOptions {
  /** A consumer whose batch has been failing for longer than this reports itself unhealthy. */
  unhealthyAfterMs?: number;
}

export interface EventBusCapabilities {
  /** Offsets survive the consumer: a new consumer of the group resumes after the last commit. */
  redeliversAfterRestart: boolean;
}

const point = (deviceId: string, ts: number): TelemetryPoint => ({
  orgId: 'org-a',
  deviceId,
  ts,
  metrics: { temperature: ts + 0.25, count: -ts, open: ts % 2 === 0, firmware: `v1.${ts} – ü` },
});

const eventually = (check: () => void) => vi.waitFor(check, { timeout: 20_000, interval: 20 });

/** A handler that records every call (and the points it got) and fails while `failing` is set. */
function recordingHandler() {
  const state = {
    calls: [] as TelemetryPoint[][],
    accepted: [] as TelemetryPoint[],
    failing: false,
  };
  const handler: BatchHandler = async (points) => {
    state.calls.push([...points]);
    if (state.failing) throw new Error('store is down');
    state.accepted.push(...points);
  };
  return { state, handler };
}

const byDeviceAndTime = (a: TelemetryPoint, b: TelemetryPoint) =>
  a.deviceId.localeCompare(b.deviceId) || a.ts - b.ts;

/** One contract for every EventBus adapter; `open` gives a fresh bus (own topic and group). */
export function describeEventBusContract(
  name: string,
  capabilities: EventBusCapabilities,
  open: (options?: EventBusOpenOptions) => Promise<EventBusFixture>,
) {
  describe(`EventBus contract: ${name}`, () => {
    let fixture: EventBusFixture;
    let bus: EventBus;
    const extraBuses: EventBus[] = [];
    const extraFixtures: EventBusFixture[] = [];
    /** Another fresh bus (own topic and group), for a test that needs other settings. */
    const openWith = async (options: EventBusOpenOptions) => {
      const extra = await open(options);
      extraFixtures.push(extra);
      extraBuses.push(extra.bus);
      return extra.bus;
    };
    const consumers: BusConsumer[] = [];
    const consume = async (b: EventBus, handler: BatchHandler) => {
      const consumer = await b.consume(handler);
      consumers.push(consumer);
      return consumer;
    };

    beforeEach(async () => {
      fixture = await open();
      bus = fixture.bus;
    });
    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.stop()));
      await Promise.all([bus, ...extraBuses.splice(0)].map((b) => b.close()));
      await Promise.all([fixture, ...extraFixtures.splice(0)].map((f) => f.cleanup?.()));
    });

    it('answers ping', async () => {
      await expect(bus.ping()).resolves.toBeUndefined();
    });

    it('delivers points intact: numbers, booleans and strings', async () => {
      const { state, handler } = recordingHandler();
      await consume(bus, handler);
      const sent = [point('dev-1', 1), point('dev-1', 2), point('dev-2', 1)];
      sent.push({ orgId: 'org-b', deviceId: 'dev-3', ts: 1_700_000_000_123, metrics: { x: 0 } });
      await bus.publish(sent);
      await eventually(() => expect(state.accepted).toHaveLength(sent.length));
      expect([...state.accepted].sort(byDeviceAndTime)).toEqual([...sent].sort(byDeviceAndTime));
    });

    it("keeps each device's order across publish calls", async () => {
      const { state, handler } = recordingHandler();
      await consume(bus, handler);
      const devices = ['dev-1', 'dev-2', 'dev-3'];
      for (let call = 0; call < 20; call++) {
        await bus.publish(
          Array.from({ length: 30 }, (_, i) =>
            point(devices[i % 3]!, call * 10 + Math.floor(i / 3)),
          ),
        );
      }
      await eventually(() => expect(state.accepted).toHaveLength(600));
      for (const device of devices) {
        const times = state.accepted.filter((p) => p.deviceId === device).map((p) => p.ts);
        expect(times).toEqual(Array.from({ length: 200 }, (_, i) => i));
      }
    });

    it('gives a rejecting handler the same points again, and nothing later until it succeeds', async () => {
      const { state, handler } = recordingHandler();
      state.failing = true;
      await bus.publish([point('dev-1', 1), point('dev-1', 2)]);
      await consume(bus, handler);
      await eventually(() => expect(state.calls.length).toBeGreaterThanOrEqual(2));
      await bus.publish([point('dev-1', 3)]);
      const attemptsBefore = state.calls.length;
      await eventually(() => expect(state.calls.length).toBeGreaterThan(attemptsBefore));
      for (const call of state.calls) expect(call).toEqual([point('dev-1', 1), point('dev-1', 2)]);
      expect(state.accepted).toEqual([]);

      state.failing = false;
      await eventually(() => expect(state.accepted).toHaveLength(3));
      expect(state.accepted.map((p) => p.ts)).toEqual([1, 2, 3]);
    });

    it('sets aside the points a handler rejects for good, and goes on without them', async () => {
      const calls: TelemetryPoint[][] = [];
      const consumer = await consume(bus, async (points) => {
        calls.push([...points]);
        const refused = points.filter((p) => p.ts === 2);
        return { rejected: refused.map((p) => ({ point: p, reason: 'field type conflict' })) };
      });
      await bus.publish([point('dev-1', 1), point('dev-1', 2), point('dev-1', 3)]);
      await bus.publish([point('dev-1', 4)]);
      await eventually(() => expect(calls.flat().some((p) => p.ts === 4)).toBe(true));

      // Delivered once: a rejected point is not a failed batch, nothing is retried.
      expect(calls.flat().map((p) => p.ts)).toEqual([1, 2, 3, 4]);
      expect(consumer.health()).toEqual({ ok: true });
    });

    it('reports itself unhealthy, with the reason, while a batch keeps failing, and healthy once it succeeds', async () => {
      const strict = await openWith({ unhealthyAfterMs: 0 });
      const { state, handler } = recordingHandler();
      state.failing = true;
      const consumer = await consume(strict, handler);
      expect(consumer.health()).toEqual({ ok: true });
      await strict.publish([point('dev-1', 1)]);
      await eventually(() =>
        expect(consumer.health()).toEqual({
          ok: false,
          reason: expect.stringContaining('store is down'),
        }),
      );

      state.failing = false;
      await eventually(() => expect(state.accepted).toHaveLength(1));
      await eventually(() => expect(consumer.health()).toEqual({ ok: true }));
    });

    describe('consumedThrough (a resumed subscription waits on it before reading the store)', () => {
      /** Another process's view of the bus (Kafka: same topic and group), where there is one. */
      const asker = async () => {
        if (!fixture.reopen) return bus;
        const other = await fixture.reopen();
        extraBuses.push(other);
        return other;
      };

      it('resolves at once when nothing was ever published', async () => {
        await expect((await asker()).consumedThrough(10_000)).resolves.toBeUndefined();
      });

      it('waits until the handler resolved every point published before it, and gives up without a consumer', async () => {
        await bus.publish([point('dev-1', 1), point('dev-2', 1)]);
        const other = await asker();
        await expect(other.consumedThrough(300)).rejects.toBeInstanceOf(BusUnavailableError);

        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const handled: TelemetryPoint[] = [];
        await consume(bus, async (points) => {
          await gate;
          handled.push(...points);
        });
        let settled = false;
        const through = other.consumedThrough(30_000).then(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(settled).toBe(false);
        release();
        await through;
        expect([...handled].sort(byDeviceAndTime)).toEqual([point('dev-1', 1), point('dev-2', 1)]);
      }, 60_000);

      it('is not held back by what is published after it, on a bus that is never idle', async () => {
        // Each batch takes 100 ms while a point comes every 20 ms: the consumer is always behind,
        // so only the points published before the call may be waited for.
        const handled: TelemetryPoint[] = [];
        await consume(bus, async (points) => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          handled.push(...points);
        });
        let ts = 0;
        let publishing = true;
        const publisher = (async () => {
          while (publishing) {
            await bus.publish([point(`dev-${ts % 3}`, ++ts)]);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })();
        try {
          await new Promise((resolve) => setTimeout(resolve, 500));
          const before = ts;
          await (await asker()).consumedThrough(30_000);
          const handledTimes = new Set(handled.map((p) => p.ts));
          for (let t = 1; t <= before; t++) expect(handledTimes.has(t)).toBe(true);
          expect(handled.length).toBeLessThan(ts);
        } finally {
          publishing = false;
          await publisher;
        }
      }, 60_000);
    });

    if (capabilities.redeliversAfterRestart) {
      describe('after a restart', () => {
        const reopen = async () => {
          const next = await fixture.reopen!();
          extraBuses.push(next);
          return next;
        };

        it('redelivers unacknowledged points to a new consumer, and not acknowledged ones', async () => {
          const first = recordingHandler();
          const consumer = await consume(bus, first.handler);
          await bus.publish([point('dev-1', 1)]);
          await eventually(() => expect(first.state.accepted).toHaveLength(1));

          first.state.failing = true;
          await bus.publish([point('dev-1', 2)]);
          await eventually(() =>
            expect(first.state.calls.some((call) => call.some((p) => p.ts === 2))).toBe(true),
          );
          await consumer.stop();

          const second = recordingHandler();
          await consume(await reopen(), second.handler);
          await eventually(() => expect(second.state.accepted).toHaveLength(1));
          // One device, one partition: a redelivered ts 1 would have come before ts 2.
          expect(second.state.accepted).toEqual([point('dev-1', 2)]);
        }, 60_000);

        it('stop() waits for the in-flight batch and acknowledges it', async () => {
          let release!: () => void;
          const gate = new Promise<void>((resolve) => (release = resolve));
          const delivered: TelemetryPoint[] = [];
          const consumer = await consume(bus, async (points) => {
            delivered.push(...points);
            await gate;
          });
          await bus.publish([point('dev-1', 1)]);
          await eventually(() => expect(delivered).toHaveLength(1));
          const stopped = consumer.stop();
          setTimeout(release, 200);
          await stopped;

          const second = recordingHandler();
          await consume(await reopen(), second.handler);
          await bus.publish([point('dev-1', 2)]);
          await eventually(() => expect(second.state.accepted).toHaveLength(1));
          expect(second.state.accepted).toEqual([point('dev-1', 2)]);
        }, 60_000);
      });
    }
  });
}
