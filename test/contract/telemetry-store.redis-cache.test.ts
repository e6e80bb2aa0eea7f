/**
 * The Redis latest-values cache in front of a TelemetryStore: it keeps every port behaviour (the
 * contract suite), answers `latest` from Redis once written, never moves a metric back in time,
 * refills itself from the store when cold, and never fails a write or read when Redis is away.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { createInfluxHttp } from '../../src/adapters/telemetry-store/influx-http.js';
import { createInfluxTelemetryStore } from '../../src/adapters/telemetry-store/influx-telemetry-store.js';
import { withRedisLatestCache } from '../../src/adapters/telemetry-store/redis-latest-cache.js';
import type { LatestValue, MetricValue } from '../../src/domain/telemetry.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import { findService, uniqueSuffix } from '../support/services.js';
import { describeTelemetryStoreContract } from './telemetry-store.contract.js';

const redisUrl = await findService('redis');
const influxUrl = await findService('influx');
const filePrefix = `test:${uniqueSuffix()}:`;

/** The inner store, counting the `latest` calls that reach it (with the devices asked for). */
function countingLatest(store: TelemetryStore) {
  const calls: string[][] = [];
  const counted: TelemetryStore = {
    write: (points) => store.write(points),
    latest: (orgId, deviceIds) => {
      calls.push([...deviceIds]);
      return store.latest(orgId, deviceIds);
    },
    aggregateDevices: (query) => store.aggregateDevices(query),
    aggregateGroups: (query) => store.aggregateGroups(query),
    reportingDevices: (orgId, deviceIds, from, to) =>
      store.reportingDevices(orgId, deviceIds, from, to),
    raw: (query) => store.raw(query),
    deleteBefore: (cutoff, orgId) => store.deleteBefore(cutoff, orgId),
    deleteRollupsBefore: (cutoff, orgId) => store.deleteRollupsBefore(cutoff, orgId),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  return { counted, calls };
}

const byMetric = (values: readonly LatestValue[] | undefined) =>
  Object.fromEntries((values ?? []).map(({ metric, value, ts }) => [metric, { value, ts }]));

/** Deletes only this prefix's keys: other test files share the Redis server. */
async function flushPrefix(redis: Redis, prefix: string) {
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
    if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  }
}

describe.skipIf(!redisUrl)('Redis latest-values cache', () => {
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redisUrl!);
  });
  afterAll(async () => {
    await flushPrefix(admin, filePrefix);
    await admin.quit();
  });

  describeTelemetryStoreContract('redis cache over duckdb', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'telemetry-redis-cache-'));
    const file = path.join(directory, 'telemetry.duckdb');
    const open = async () =>
      withRedisLatestCache(await createDuckDbTelemetryStore({ path: file }), {
        redis: redisUrl!,
        keyPrefix: `${filePrefix}contract:`,
      });
    return {
      store: await open(),
      reopen: open,
      forgetCaches: () => flushPrefix(admin, `${filePrefix}contract:`),
      cleanup: () => rm(directory, { recursive: true, force: true }),
    };
  });

  // Production's pairing: the cache in front of InfluxDB.
  if (influxUrl) {
    describeTelemetryStoreContract('redis cache over influx', async () => {
      const database = `iot_test_${uniqueSuffix()}`;
      const influx = createInfluxHttp({ url: influxUrl, database });
      await influx.query(`CREATE DATABASE "${database}"`, {});
      const open = async () =>
        withRedisLatestCache(createInfluxTelemetryStore({ url: influxUrl, database }), {
          redis: redisUrl!,
          keyPrefix: `${filePrefix}influx:`,
        });
      return {
        store: await open(),
        reopen: open,
        forgetCaches: () => flushPrefix(admin, `${filePrefix}influx:`),
        cleanup: async () => {
          await influx.query(`DROP DATABASE "${database}"`, {});
        },
      };
    });
  }

  describe('cache behaviour', () => {
    const keyPrefix = `${filePrefix}cache:`;
    const org = `org-${uniqueSuffix()}`;
    let calls: string[][];
    let store: TelemetryStore;
    const point = (
      deviceId: string,
      ts: number,
      metrics: Record<string, MetricValue>,
      orgId = org,
    ) => ({
      orgId,
      deviceId,
      ts,
      metrics,
    });

    beforeEach(async () => {
      const inner = countingLatest(await createDuckDbTelemetryStore({ path: ':memory:' }));
      calls = inner.calls;
      store = withRedisLatestCache(inner.counted, { redis: redisUrl!, keyPrefix });
    });
    afterEach(async () => {
      await store.close();
    });

    it('answers latest from Redis once a device is cached, kept current by writes', async () => {
      const devices = Array.from({ length: 5 }, (_, i) => `dev-${i}`);
      await store.write(devices.map((d) => point(d, 500, { temp: -1, old: 'x' })));
      // The first read fills the cache from the store (a hash started by a write alone may lack
      // metrics written before it, so it is not trusted until filled).
      await store.latest(org, devices);
      expect(calls).toEqual([devices]);
      calls.length = 0;
      await store.write(devices.map((d, i) => point(d, 1_000, { temp: i, on: i % 2 === 0 })));
      await store.write(devices.map((d) => point(d, 2_000, { mode: `m-${d}` })));

      const latest = await store.latest(org, devices);
      expect(calls).toEqual([]);
      devices.forEach((device, i) => {
        expect(byMetric(latest.get(device))).toEqual({
          temp: { value: i, ts: 1_000 },
          on: { value: i % 2 === 0, ts: 1_000 },
          mode: { value: `m-${device}`, ts: 2_000 },
          old: { value: 'x', ts: 500 },
        });
      });
      // The documented layout: one hash per device, field = metric, value = JSON { v, ts }.
      const entry = await admin.hget(`${keyPrefix}latest:${org}:dev-0`, 'mode');
      expect(JSON.parse(entry!)).toEqual({ v: 'm-dev-0', ts: 2_000 });
    });

    it('answers any metric name and every digit of a number from Redis exactly', async () => {
      const metrics = {
        'quote"back\\slash/é ✓': 0.12345678901234568,
        big: 9_007_199_254_740_991,
        tiny: -1.5e-300,
        text: 'a "b" \\ c',
      };
      await store.write([point('exact', 1_000, metrics)]);
      await store.latest(org, ['exact']); // fills the cache
      calls.length = 0;
      const latest = await store.latest(org, ['exact']);
      expect(calls).toEqual([]);
      expect(byMetric(latest.get('exact'))).toEqual(
        Object.fromEntries(
          Object.entries(metrics).map(([metric, value]) => [metric, { value, ts: 1_000 }]),
        ),
      );
    });

    it('never moves a metric back for late or redelivered points', async () => {
      await store.write([point('d', 3_000, { temp: 3, hum: 30 })]);
      await store.latest(org, ['d']);
      calls.length = 0;
      // Late arrivals, in a batch and alone, and a redelivery of the newest point.
      await store.write([point('d', 1_000, { temp: 1, hum: 10 }), point('d', 2_000, { temp: 2 })]);
      await store.write([point('d', 3_000, { temp: 3, hum: 30 })]);
      await store.write([point('d', 2_500, { hum: 25, door: true })]);

      expect(byMetric((await store.latest(org, ['d'])).get('d'))).toEqual({
        temp: { value: 3, ts: 3_000 },
        hum: { value: 30, ts: 3_000 },
        door: { value: true, ts: 2_500 },
      });
      expect(calls).toEqual([]);
    });

    it("caches a batch's newest value per metric, the later point winning at an equal ts", async () => {
      await store.write([point('b', 1_000, { temp: 1 })]);
      await store.latest(org, ['b']);
      calls.length = 0;
      await store.write([
        point('b', 3_000, { temp: 3, hum: 30 }),
        point('b', 2_000, { temp: 2, hum: 20 }),
        point('b', 3_000, { temp: 4 }),
      ]);

      expect(byMetric((await store.latest(org, ['b'])).get('b'))).toEqual({
        temp: { value: 4, ts: 3_000 },
        hum: { value: 30, ts: 3_000 },
      });
      expect(calls).toEqual([]);
    });

    it('reads a cold cache from the store once, then answers from Redis', async () => {
      await store.write([point('a', 1_000, { temp: 1, hum: 2 }), point('b', 1_000, { temp: 5 })]);
      await flushPrefix(admin, keyPrefix);
      // Written after the flush: the hash now holds only `temp`, and must not hide `hum`.
      await store.write([point('a', 2_000, { temp: 10 })]);

      const cold = await store.latest(org, ['a', 'b', 'silent']);
      expect(calls).toEqual([['a', 'b', 'silent']]);
      const expected = {
        a: { temp: { value: 10, ts: 2_000 }, hum: { value: 2, ts: 1_000 } },
        b: { temp: { value: 5, ts: 1_000 } },
        silent: {},
      };
      for (const [device, values] of Object.entries(expected))
        expect(byMetric(cold.get(device))).toEqual(values);

      const warm = await store.latest(org, ['a', 'b', 'silent']);
      expect(calls).toHaveLength(1);
      for (const [device, values] of Object.entries(expected))
        expect(byMetric(warm.get(device))).toEqual(values);
    });

    it('keeps the same device id of two organizations apart', async () => {
      const other = `org-${uniqueSuffix()}`;
      await store.latest(org, ['shared']);
      await store.latest(other, ['shared']);
      calls.length = 0;
      await store.write([
        point('shared', 1_000, { v: 1 }),
        point('shared', 2_000, { v: 2 }, other),
      ]);

      expect(byMetric((await store.latest(org, ['shared'])).get('shared'))).toEqual({
        v: { value: 1, ts: 1_000 },
      });
      expect(byMetric((await store.latest(other, ['shared'])).get('shared'))).toEqual({
        v: { value: 2, ts: 2_000 },
      });
      expect(calls).toEqual([]);
    });

    it('never caches a point the store refused as a latest value, and passes the refusal on', async () => {
      const inner = await createDuckDbTelemetryStore({ path: ':memory:' });
      // Refuses string temperatures, as InfluxDB does after a field type conflict.
      const refusing: TelemetryStore = {
        ...inner,
        async write(points) {
          const refused = points.filter((p) => typeof p.metrics.temp === 'string');
          await inner.write(points.filter((p) => !refused.includes(p)));
          return { rejected: refused.map((p) => ({ point: p, reason: 'field type conflict' })) };
        },
        close: () => inner.close(),
      };
      const cached = withRedisLatestCache(refusing, { redis: redisUrl!, keyPrefix });
      try {
        await cached.write([point('r', 1_000, { temp: 1 })]);
        await cached.latest(org, ['r']); // filled: later reads come from Redis
        const bad = point('r', 2_000, { temp: 'hot' });
        expect(await cached.write([bad, point('r', 3_000, { hum: 5 })])).toEqual({
          rejected: [{ point: bad, reason: 'field type conflict' }],
        });
        expect(byMetric((await cached.latest(org, ['r'])).get('r'))).toEqual({
          temp: { value: 1, ts: 1_000 },
          hum: { value: 5, ts: 3_000 },
        });
      } finally {
        await cached.close();
      }
    });

    it('drops a hash whose update failed, so its reads go to the store', async () => {
      await store.write([point('broken', 1_000, { temp: 1, hum: 1 })]);
      await store.latest(org, ['broken']);
      calls.length = 0;
      // An entry the merge script cannot read makes the whole update fail.
      await admin.hset(`${keyPrefix}latest:${org}:broken`, 'temp', 'not json');
      await store.write([point('broken', 2_000, { temp: 2 })]);

      expect(byMetric((await store.latest(org, ['broken'])).get('broken'))).toEqual({
        temp: { value: 2, ts: 2_000 },
        hum: { value: 1, ts: 1_000 },
      });
      expect(calls).toEqual([['broken']]);
    });
  });

  it('writes and answers latest from the store when Redis is unreachable', async () => {
    // A port nothing listens on; fail at once instead of queueing commands until it comes up.
    const unreachable = new Redis('redis://127.0.0.1:1', {
      connectTimeout: 200,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    unreachable.on('error', () => undefined);
    const store = withRedisLatestCache(await createDuckDbTelemetryStore({ path: ':memory:' }), {
      redis: unreachable,
    });
    try {
      const started = Date.now();
      await store.write([{ orgId: 'org', deviceId: 'd', ts: 1_000, metrics: { temp: 7 } }]);
      expect((await store.latest('org', ['d'])).get('d')).toEqual([
        { metric: 'temp', value: 7, ts: 1_000 },
      ]);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await store.close();
      unreachable.disconnect();
    }
  });
});
