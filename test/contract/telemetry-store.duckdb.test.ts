import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../support/graphql-client.js';
import { describeTelemetryStoreContract } from './telemetry-store.contract.js';

/** Enough rows for DuckDB to aggregate one bucket on several threads (once, on the file). */
const LARGE_BUCKET = { persistent: true, largeBucketPoints: 300_000 };

describe('DuckDB telemetry store', () => {
  describeTelemetryStoreContract(
    'duckdb file',
    async () => {
      const directory = await mkdtemp(path.join(tmpdir(), 'telemetry-duckdb-'));
      const file = path.join(directory, 'telemetry.duckdb');
      return {
        store: await createDuckDbTelemetryStore({ path: file }),
        reopen: () => createDuckDbTelemetryStore({ path: file }),
        cleanup: () => rm(directory, { recursive: true, force: true }),
      };
    },
    LARGE_BUCKET,
  );

  describeTelemetryStoreContract(
    'duckdb :memory:',
    async () => ({ store: await createDuckDbTelemetryStore({ path: ':memory:' }) }),
    { persistent: false },
  );

  it('keeps latest exact with its in-memory copy smaller than the fleet, under racing writes and reads', async () => {
    // Room for 3 devices of 8: every read evicts, refills, and writes land on held and unheld ones.
    const store = await createDuckDbTelemetryStore({ path: ':memory:', latestCacheDevices: 3 });
    try {
      const devices = Array.from({ length: 8 }, (_, i) => `dev-${i}`);
      // The model: per device and metric, the newest ts, the later write winning at equal ts.
      const model = new Map<string, Map<string, { value: number; ts: number }>>();
      let random = 7;
      const next = (n: number) => (random = (random * 48_271) % 2_147_483_647) % n;
      const pending: Promise<unknown>[] = [];
      for (let round = 0; round < 40; round++) {
        const points = Array.from({ length: 5 }, () => ({
          orgId: 'org',
          deviceId: devices[next(devices.length)]!,
          ts: 1_000 + next(20),
          metrics: { [`m${next(3)}`]: round },
        }));
        for (const { deviceId, ts, metrics } of points) {
          const own = model.get(deviceId) ?? new Map();
          model.set(deviceId, own);
          for (const [metric, value] of Object.entries(metrics)) {
            if (!own.has(metric) || own.get(metric)!.ts <= ts) own.set(metric, { value, ts });
          }
        }
        // Writes queue in call order; reads of random devices race them.
        pending.push(store.write(points));
        pending.push(store.latest('org', [devices[next(8)]!, devices[next(8)]!]));
        if (round % 5 === 0) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
      const latest = await store.latest('org', devices);
      for (const device of devices) {
        const expected = Object.fromEntries(model.get(device) ?? []);
        const got = Object.fromEntries(
          (latest.get(device) ?? []).map(({ metric, value, ts }) => [metric, { value, ts }]),
        );
        expect(got, device).toEqual(expected);
      }
      // Another organization's reads of the same device ids see nothing.
      expect((await store.latest('other', devices)).size).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('answers latest after a crash with every committed write, though the latest table was last written long before', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'latest-crash-'));
    const file = path.join(directory, 'telemetry.duckdb');
    const crashed = path.join(directory, 'crashed.duckdb');
    // The latest values reach their table once, at the first flush; every later write is pending.
    const before = await createDuckDbTelemetryStore({ path: file, latestFlushMs: 1e9 });
    const after: { store?: Awaited<ReturnType<typeof createDuckDbTelemetryStore>> } = {};
    const point = (deviceId: string, ts: number, metrics: Record<string, number | string>) => ({
      orgId: 'org',
      deviceId,
      ts,
      metrics,
    });
    try {
      await before.write([point('a', 1_000, { t: 1 }), point('b', 1_000, { t: 10 })]);
      expect((await before.latest('org', ['a'])).get('a')).toEqual([
        { metric: 't', value: 1, ts: 1_000 },
      ]);
      await before.write([point('a', 2_000, { t: 2, mode: 'eco' })]);
      await before.write([
        point('a', 2_000, { t: 3 }),
        point('b', 500, { t: 9 }),
        point('c', 7, { t: 7 }),
      ]);
      // The files as a kill leaves them: the committed batches in DuckDB's write-ahead log.
      await cp(file, crashed);
      await cp(`${file}.wal`, `${crashed}.wal`).catch(() => undefined);
      after.store = await createDuckDbTelemetryStore({ path: crashed });
      const latest = await after.store.latest('org', ['a', 'b', 'c']);
      expect(Object.fromEntries(latest)).toEqual({
        // The later write wins at an equal time; an older point never moves a value back.
        a: [
          { metric: 'mode', value: 'eco', ts: 2_000 },
          { metric: 't', value: 3, ts: 2_000 },
        ],
        b: [{ metric: 't', value: 10, ts: 1_000 }],
        c: [{ metric: 't', value: 7, ts: 7 }],
      });
    } finally {
      await after.store?.close();
      await before.close();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('compaction deletes superseded rows and changes no answer', async () => {
    const store = await createDuckDbTelemetryStore({ path: ':memory:', compactAfterRows: 1e12 });
    try {
      const point = (ts: number, temp: number) => ({
        orgId: 'org',
        deviceId: 'dev',
        ts,
        metrics: { temp, mode: `m${temp}` },
      });
      await store.write([point(1, 1), point(2, 2)]);
      await store.write([point(1, 10), point(2, 20)]);
      await store.write([point(1, 100)]);
      const query = { orgId: 'org', deviceId: 'dev', metrics: [], from: 0, to: 10, limit: 10 };
      const before = await store.raw(query);

      // Two stale versions of ts 1 and one of ts 2, two metrics each.
      expect(await store.compact()).toBe(6);
      expect(await store.raw(query)).toEqual(before);
      expect(before).toEqual([
        { orgId: 'org', deviceId: 'dev', ts: 1, metrics: { temp: 100, mode: 'm100' } },
        { orgId: 'org', deviceId: 'dev', ts: 2, metrics: { temp: 20, mode: 'm20' } },
      ]);
      expect(await store.compact()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('recomputes the rollups on its own soon after a write, with no read asking', async () => {
    const logged: { msg: string; buckets?: number }[] = [];
    const logger = createLogger('debug', 'test', {
      write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]),
    });
    const store = await createDuckDbTelemetryStore({
      path: ':memory:',
      rollupRefreshMs: 300,
      logger,
    });
    try {
      const point = (ts: number) => ({ orgId: 'org', deviceId: 'dev', ts, metrics: { t: ts } });
      // Two batches in one minute and one in the next: one refresh of both minutes.
      await store.write([point(1_000)]);
      await store.write([point(2_000), point(61_000)]);
      const refreshed = () => logged.filter((entry) => entry.msg === 'rollups refreshed');
      await eventually(async () => refreshed().length > 0 || undefined, 5_000, 'a refresh');
      expect(refreshed().map((entry) => entry.buckets)).toEqual([2]);
    } finally {
      await store.close();
    }
  });

  it('compacts on its own once enough rows were appended', async () => {
    const store = await createDuckDbTelemetryStore({ path: ':memory:', compactAfterRows: 4 });
    try {
      const point = (temp: number) => ({ orgId: 'org', deviceId: 'dev', ts: 5, metrics: { temp } });
      await store.write([point(1), point(2), point(3)]);
      await store.write([point(4)]); // the fourth row triggers a compaction
      expect(await store.compact()).toBe(0);
      const [latest] = (await store.latest('org', ['dev'])).get('dev') ?? [];
      expect(latest).toEqual({ metric: 'temp', value: 4, ts: 5 });
    } finally {
      await store.close();
    }
  });
});
