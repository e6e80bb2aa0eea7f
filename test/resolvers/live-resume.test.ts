/**
 * The handover of a resumed telemetry subscription, made to happen exactly at its worst moment:
 * while the store's history is being read, the pipeline stores and publishes two points, one the
 * read already saw and one it did not. Each must come out once, in order, after the history; and
 * a stream closed before it was ever read lets go of its live hub listener.
 */
import { describe, expect, it } from 'vitest';
import { createLoaders } from '../../src/api/loaders.js';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import type { Device } from '../../src/ports/device-repository.js';
import type { RawQuery } from '../../src/domain/telemetry.js';
import { subscribeTelemetry } from '../../src/resolvers/live.js';
import type { ApiServices, GraphQLContext } from '../../src/schema/context.js';

const ORG = 'org';
const DEVICE = 'dev';
const point = (ts: number): TelemetryPoint => ({
  orgId: ORG,
  deviceId: DEVICE,
  ts,
  metrics: { power: ts },
});

/** A context whose store answers `raw` with `stored`, running `duringRead` before it answers. */
function resumeContext(
  stored: TelemetryPoint[],
  duringRead: () => Promise<void>,
  live = createInProcessLiveHub(),
) {
  const services = {
    live,
    telemetry: {
      raw: async (query: RawQuery) => {
        await duringRead();
        return stored.filter((p) => p.ts >= query.from && p.ts < query.to);
      },
    },
    devices: {
      getRetention: async () => ({}),
      findDevices: async (_org: string, ids: readonly string[]) =>
        ids.map((id) =>
          id === DEVICE ? ({ id, organizationId: ORG } as unknown as Device) : null,
        ),
    },
  } as unknown as ApiServices;
  const context = {
    services,
    viewer: { organizationId: ORG, permissions: new Set(['telemetry:read', 'devices:read']) },
    settings: { deviceTokenGraceSeconds: 0, maxCost: 20_000 },
    loaders: createLoaders(services, ORG),
  } as unknown as GraphQLContext;
  return { context, live };
}

async function take(stream: AsyncIterable<TelemetryPoint>, count: number) {
  const iterator = stream[Symbol.asyncIterator]();
  const taken: number[] = [];
  while (taken.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    taken.push(next.value.ts);
  }
  await iterator.return?.();
  return taken;
}

describe('a resumed telemetry subscription', () => {
  it('gives each point once, in order, when the pipeline stores points during the history read', async () => {
    const stored = [point(11), point(12)];
    const hub = createInProcessLiveHub();
    const { context, live } = resumeContext(
      stored,
      async () => {
        // 13 is stored in time for the read's snapshot and published while it runs, as the
        // pipeline publishes once a point is stored; 14 is stored and published after the snapshot.
        stored.push(point(13));
        await hub.publish([point(13), point(14)]);
      },
      hub,
    );
    const stream = await subscribeTelemetry(context, {
      deviceIds: [DEVICE],
      since: new Date(10),
    });
    await live.publish([point(15)]);
    expect(await take(stream, 5)).toEqual([11, 12, 13, 14, 15]);
  });

  it('lets go of its live hub listener when closed before it was ever read', async () => {
    const listening = new Set<object>();
    const { context, live } = resumeContext([], async () => undefined);
    const subscribe = live.subscribe.bind(live);
    live.subscribe = async (org, device, listener) => {
      const handle = {};
      listening.add(handle);
      const stop = await subscribe(org, device, listener);
      return () => {
        listening.delete(handle);
        stop();
      };
    };
    const stream = await subscribeTelemetry(context, { deviceIds: [DEVICE], since: new Date(0) });
    expect(listening.size).toBe(1);
    await stream[Symbol.asyncIterator]().return?.();
    expect(listening.size).toBe(0);
  });
});
