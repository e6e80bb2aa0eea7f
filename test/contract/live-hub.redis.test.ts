import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisLiveHub } from '../../src/adapters/live-hub/redis-live-hub.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { findService, uniqueSuffix } from '../support/services.js';
import { describeLiveHubContract } from './live-hub.contract.js';

const redisUrl = await findService('redis');

const point = (ts: number): TelemetryPoint => ({
  orgId: 'org-a',
  deviceId: 'dev-1',
  ts,
  metrics: { temperature: ts },
});

describe.skipIf(!redisUrl)('Redis live hub', () => {
  describeLiveHubContract('redis', async () => ({
    hub: createRedisLiveHub({ url: redisUrl!, keyPrefix: `test:${uniqueSuffix()}:` }),
  }));

  describe('Redis specifics', () => {
    let admin: Redis;
    beforeAll(() => {
      admin = new Redis(redisUrl!);
    });
    afterAll(async () => {
      await admin.quit();
    });

    const numsub = async (channel: string) =>
      Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]);

    it('holds one Redis subscription per channel, released with the last listener', async () => {
      const keyPrefix = `test:${uniqueSuffix()}:`;
      const hub = createRedisLiveHub({ url: redisUrl!, keyPrefix });
      const channel = `${keyPrefix}telemetry:org-a:dev-1`;
      try {
        const unsubscribes = await Promise.all(
          Array.from({ length: 3 }, () => hub.subscribe('org-a', 'dev-1', () => {})),
        );
        expect(await numsub(channel)).toBe(1);
        unsubscribes[0]!();
        unsubscribes[1]!();
        expect(await numsub(channel)).toBe(1);
        unsubscribes[2]!();
        await vi.waitFor(async () => expect(await numsub(channel)).toBe(0));
      } finally {
        await hub.close();
      }
    });

    it("sends a batch as one message per device, its points in order and its ids once, and takes earlier versions' messages", async () => {
      const keyPrefix = `test:${uniqueSuffix()}:`;
      const hub = createRedisLiveHub({ url: redisUrl!, keyPrefix });
      const raw = new Redis(redisUrl!);
      try {
        const channel = `${keyPrefix}telemetry:org-a:dev-1`;
        const messages: string[] = [];
        raw.on('message', (_channel: string, message: string) => messages.push(message));
        await raw.subscribe(channel);
        const received: TelemetryPoint[] = [];
        await hub.subscribe('org-a', 'dev-1', (p) => received.push(p));
        const other = { ...point(2), deviceId: 'dev-2' };
        await hub.publish([point(1), other, point(3), point(2)]);
        await vi.waitFor(() => expect(messages).toHaveLength(1));
        expect(JSON.parse(messages[0]!)).toEqual({
          v: 1,
          orgId: 'org-a',
          deviceId: 'dev-1',
          points: [1, 3, 2].map((ts) => ({ ts, metrics: { temperature: ts } })),
        });
        await vi.waitFor(() => expect(received).toEqual([point(1), point(3), point(2)]));
        // What earlier versions published: one point, or a device's points as an array.
        await admin.publish(channel, JSON.stringify(point(9)));
        await admin.publish(channel, JSON.stringify([point(10), point(11)]));
        await vi.waitFor(() => expect(received.map((p) => p.ts)).toEqual([1, 3, 2, 9, 10, 11]));
      } finally {
        raw.disconnect();
        await hub.close();
      }
    });

    it('fans out across replicas: a point published by one hub reaches subscribers of another', async () => {
      const keyPrefix = `test:${uniqueSuffix()}:`;
      const ingestSide = createRedisLiveHub({ url: redisUrl!, keyPrefix });
      const apiSide = createRedisLiveHub({ url: redisUrl!, keyPrefix });
      try {
        const received: TelemetryPoint[] = [];
        await apiSide.subscribe('org-a', 'dev-1', (p) => received.push(p));
        await ingestSide.publish([point(1)]);
        await vi.waitFor(() => expect(received).toEqual([point(1)]));
      } finally {
        await Promise.all([ingestSide.close(), apiSide.close()]);
      }
    });

    it('resumes delivery to existing listeners after Redis drops the subscriber connection', async () => {
      const keyPrefix = `test:${uniqueSuffix()}:`;
      const hub = createRedisLiveHub({ url: redisUrl!, keyPrefix });
      try {
        const received: TelemetryPoint[] = [];
        await hub.subscribe('org-a', 'dev-1', (p) => received.push(p));
        // Kill only this hub's subscriber (CLIENT KILL TYPE pubsub would hit everyone's).
        const connectionName = `live-hub:subscribe:${keyPrefix}`;
        const clientId = async () =>
          ((await admin.client('LIST', 'TYPE', 'PUBSUB')) as string)
            .split('\n')
            .find((line) => line.includes(` name=${connectionName} `))
            ?.match(/^id=(\d+)/)?.[1];
        const before = await clientId();
        expect(before).toBeDefined();
        await admin.client('KILL', 'ID', before!);

        let ts = 0;
        await vi.waitFor(
          async () => {
            await hub.publish([point(++ts)]);
            expect(received.length).toBeGreaterThan(0);
          },
          { timeout: 10_000, interval: 50 },
        );
        expect(await clientId()).not.toBe(before);
      } finally {
        await hub.close();
      }
    });
  });
});
