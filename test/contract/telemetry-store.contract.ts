/**
 * The TelemetryStore contract: port-level behaviour every adapter (DuckDB embedded, InfluxDB in
 * production) must show. Expected answers are computed here from the generated data with the
 * naive reference in test/support/reference-aggregates.ts, never copied from a store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGGREGATES,
  type Aggregate,
  type Bucket,
  type LatestValue,
  type MetricValue,
  type TelemetryPoint,
} from '../../src/domain/telemetry.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import {
  correctlyRoundedSum,
  referenceStddev,
  referenceTypedBuckets,
  type ReferenceRange,
} from '../support/reference-aggregates.js';
import { uniqueSuffix } from '../support/services.js';
import { aggregateOne } from '../support/aggregate-one.js';
import { seededRandom } from '../support/seeded-random.js';

export interface TelemetryStoreFixture {
  store: TelemetryStore;
  /** Opens the same data again after `store.close()`. */
  reopen?: () => Promise<TelemetryStore>;
  /**
   * Drops whatever the store keeps beside its data (the Redis latest-values hashes), so the next
   * read rebuilds it from the data.
   */
  forgetCaches?: () => Promise<void>;
  cleanup?: () => Promise<void>;
}

const BASE = Date.UTC(2024, 4, 1, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * What a store must answer for these samples (per metric, each ts's last written value; several
 * devices' values, pooled, may share a ts, each tagged with its device for a counter's steps),
 * every aggregate asked: the reference's buckets, put together per start. Without a range, every
 * sample is in it, and buckets are whole.
 */
function expectedBuckets(
  samples: Record<string, Iterable<readonly [number, MetricValue, string?]>>,
  every: number,
  aggregates: readonly Aggregate[] = AGGREGATES,
  origin = 0,
  percentiles: readonly number[] = [],
  range?: ReferenceRange,
): Bucket[] {
  const byStart = new Map<number, Bucket>();
  for (const [metric, values] of Object.entries(samples)) {
    const list = [...values].map(([ts, value, device]) => ({ ts, value, device }));
    const buckets = referenceTypedBuckets(list, every, origin, percentiles, range);
    for (const { start, values: all, types, percentiles: asked } of buckets) {
      const bucket = byStart.get(start) ?? { start, values: {}, types: {} };
      bucket.values[metric] = Object.fromEntries(aggregates.map((name) => [name, all[name]]));
      if (percentiles.length > 0) bucket.values[metric].percentiles = asked;
      bucket.types[metric] = types;
      byStart.set(start, bucket);
    }
  }
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

const byMetric = (values: readonly LatestValue[] | undefined) =>
  Object.fromEntries((values ?? []).map(({ metric, value, ts }) => [metric, { value, ts }]));

export function describeTelemetryStoreContract(
  name: string,
  makeStore: () => Promise<TelemetryStoreFixture>,
  capabilities: {
    /** A store that keeps nothing across close (`:memory:`) has no reopen test at all. */
    persistent: boolean;
    /**
     * Points in the one large bucket of the deterministic-sum case: DuckDB aggregates a bucket
     * on several threads once it spans a few row groups (~300k rows here).
     */
    largeBucketPoints?: number;
  } = { persistent: true },
) {
  describe(`TelemetryStore contract: ${name}`, () => {
    let fixture: TelemetryStoreFixture;
    let store: TelemetryStore;
    const org = `org-${uniqueSuffix()}`;
    const newDevice = () => `dev-${uniqueSuffix()}`;
    const point = (
      deviceId: string,
      ts: number,
      metrics: Record<string, MetricValue>,
      orgId = org,
    ): TelemetryPoint => ({ orgId, deviceId, ts, metrics });
    const rawAll = (deviceId: string, metrics: string[] = [], orgId = org) =>
      store.raw({
        orgId,
        deviceId,
        metrics,
        from: BASE - 86_400_000,
        to: BASE + 86_400_000,
        limit: 10_000,
      });

    beforeAll(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });

    afterAll(async () => {
      await store?.close();
      await fixture?.cleanup?.();
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('returns written points from raw, ascending by time', async () => {
      const device = newDevice();
      const points = [
        point(device, BASE + 2_000, { temp: 21.5, hum: 40 }),
        point(device, BASE, { temp: 20, hum: 41 }),
        point(device, BASE + 1_000, { temp: 20.75 }),
      ];
      expect(await store.write(points)).toEqual({ rejected: [] });
      expect(await rawAll(device)).toEqual([points[1], points[2], points[0]]);
    });

    it('keeps one point per (device, ts), each metric holding its last written value', async () => {
      const device = newDevice();
      await store.write([point(device, BASE, { a: 1 })]);
      await store.write([point(device, BASE, { a: 2, b: 3 })]);
      await store.write([point(device, BASE, { a: 2, b: 3 })]);
      // Within one batch too: the later entry wins.
      await store.write([point(device, BASE + 1, { c: 'x' }), point(device, BASE + 1, { c: 'y' })]);

      expect(await rawAll(device)).toEqual([
        point(device, BASE, { a: 2, b: 3 }),
        point(device, BASE + 1, { c: 'y' }),
      ]);
      expect(byMetric((await store.latest(org, [device])).get(device))).toEqual({
        a: { value: 2, ts: BASE },
        b: { value: 3, ts: BASE },
        c: { value: 'y', ts: BASE + 1 },
      });
      const [bucket] = await aggregateOne(store, {
        orgId: org,
        deviceId: device,
        metrics: ['a'],
        from: BASE,
        to: BASE + MINUTE,
        every: MINUTE,
        aggregates: ['count', 'sum'],
      });
      expect(bucket?.values.a).toMatchObject({ count: 1, sum: 2 });
    });

    it('preserves value types: numbers, booleans and strings', async () => {
      const device = newDevice();
      const metrics = {
        integer: 42,
        negative: -7.25,
        zero: 0,
        on: true,
        off: false,
        label: 'warm, "cosy" = \\ yes',
        unicode: 'température ✓',
        numeric: '12',
      };
      await store.write([point(device, BASE, metrics)]);
      expect(await rawAll(device)).toEqual([point(device, BASE, metrics)]);
      const latest = byMetric((await store.latest(org, [device])).get(device));
      for (const [metric, value] of Object.entries(metrics)) {
        expect(latest[metric]).toEqual({ value, ts: BASE });
      }
    });

    it('returns the latest value of every metric for many devices in one call', async () => {
      const devices = Array.from({ length: 25 }, newDevice);
      const silent = newDevice();
      const points = devices.flatMap((device, index) => [
        point(device, BASE + 3_000, { temp: index, door: index % 2 === 0 }),
        point(device, BASE + 1_000, { temp: -1, mode: 'old' }),
        point(device, BASE + 2_000, { mode: `mode-${index}` }),
      ]);
      await store.write(points);

      const latest = await store.latest(org, [...devices, silent]);
      devices.forEach((device, index) => {
        expect(byMetric(latest.get(device))).toEqual({
          temp: { value: index, ts: BASE + 3_000 },
          door: { value: index % 2 === 0, ts: BASE + 3_000 },
          mode: { value: `mode-${index}`, ts: BASE + 2_000 },
        });
      });
      expect(latest.get(silent) ?? []).toEqual([]);
      expect((await store.latest(org, [])).size).toBe(0);
    });

    /** Plain code-unit order, as Array.prototype.sort() without a comparator sorts strings. */
    const inNameOrder = (names: readonly string[]) => [...names].sort();

    it('lists latest values by metric name, whatever order they were written in', async () => {
      const device = newDevice();
      const read = async () =>
        ((await store.latest(org, [device])).get(device) ?? []).map(({ metric }) => metric);
      // Upper case sorts before lower case in code-unit order.
      const written = await store.write([
        point(device, BASE, { zeta: 1, alpha: true, Mid: 'x', beta: 2 }),
      ]);
      expect(written).toEqual({ rejected: [] });
      expect(await read()).toEqual(['Mid', 'alpha', 'beta', 'zeta']);
      // Metrics that appear later, one batch at a time, after the values were read once.
      await store.write([point(device, BASE + 1, { yak: 3 })]);
      await store.write([point(device, BASE + 2, { Aa: 4, gamma: 'g' })]);
      await store.write([point(device, BASE + 3, { alpha: false })]);
      const expected = inNameOrder(['zeta', 'alpha', 'Mid', 'beta', 'yak', 'Aa', 'gamma']);
      expect(await read()).toEqual(expected);
      // Rebuilt from the data (the Redis cache refilled from the store), still by name.
      await fixture.forgetCaches?.();
      expect(await read()).toEqual(expected);
      expect(await read()).toEqual(expected);
    });

    it('returns raw points with their metrics by name, whatever order they were asked for in', async () => {
      const device = newDevice();
      const written = await store.write([
        point(device, BASE, { zulu: 1, alfa: 'a', Mike: true, bravo: 2 }),
        point(device, BASE + 1, { bravo: 3, zulu: 4 }),
      ]);
      expect(written).toEqual({ rejected: [] });
      const keys = (points: TelemetryPoint[]) => points.map((p) => Object.keys(p.metrics));
      expect(keys(await rawAll(device))).toEqual([
        ['Mike', 'alfa', 'bravo', 'zulu'],
        ['bravo', 'zulu'],
      ]);
      expect(keys(await rawAll(device, ['zulu', 'bravo', 'alfa']))).toEqual([
        ['alfa', 'bravo', 'zulu'],
        ['bravo', 'zulu'],
      ]);
    });

    it('computes every aggregate per bucket, to the last bit; a string metric takes COUNT, FIRST and LAST', async () => {
      const device = newDevice();
      const random = seededRandom(20_240_501);
      const every = 10 * MINUTE;
      const samples: Record<string, Map<number, MetricValue>> = {
        temp: new Map(),
        load: new Map(),
        status: new Map(),
      };
      const points: TelemetryPoint[] = [];
      for (let i = 0; i < 400; i += 1) {
        // Uneven spacing over ~6 buckets; whole-ms timestamps, some exactly on bucket starts.
        const ts =
          BASE +
          (i % 50 === 0 ? (Math.floor(i / 50) % 6) * every : Math.floor(random() * 6 * every));
        const temp = Math.round(random() * 2_000 - 500) / 8;
        const metrics: Record<string, MetricValue> = {
          temp,
          status: random() < 0.5 ? 'ok' : 'hot',
        };
        // `load` is missing from the fourth bucket entirely.
        if (Math.floor((ts - BASE) / every) !== 3) metrics.load = Math.floor(random() * 100);
        for (const [metric, value] of Object.entries(metrics)) samples[metric]!.set(ts, value);
        points.push(point(device, ts, metrics));
      }
      // Re-sent points with new values: only the last write may count.
      const resent = points.slice(0, 40).map((p) => {
        const temp = (p.metrics.temp as number) + 1_000.1;
        samples.temp!.set(p.ts, temp);
        return point(device, p.ts, { temp });
      });
      await store.write(points);
      await store.write(resent);

      const buckets = await aggregateOne(store, {
        orgId: org,
        deviceId: device,
        metrics: ['temp', 'load', 'status'],
        from: BASE,
        to: BASE + 6 * every,
        every,
        aggregates: [...AGGREGATES],
      });
      expect(buckets).toHaveLength(6);
      expect(buckets).toEqual(expectedBuckets(samples, every));
    });

    it('aggregates booleans and strings by type: COUNT, MEAN of booleans as the fraction of true, FIRST and LAST as sent', async () => {
      const device = newDevice();
      const random = seededRandom(7_031);
      const every = 10 * MINUTE;
      const samples: Record<string, Map<number, MetricValue>> = {
        door: new Map(),
        mode: new Map(),
        temp: new Map(),
      };
      const points: TelemetryPoint[] = [];
      for (let i = 0; i < 150; i += 1) {
        const ts = BASE + Math.floor(random() * 3 * every);
        const metrics: Record<string, MetricValue> = {
          door: random() < 0.3,
          mode: ['eco', 'comfort', 'off'][Math.floor(random() * 3)]!,
          temp: Math.round(random() * 400) / 10,
        };
        // The door only every other time: its buckets count fewer values.
        if (i % 2 === 1) delete metrics.door;
        for (const [metric, value] of Object.entries(metrics)) samples[metric]!.set(ts, value);
        points.push(point(device, ts, metrics));
      }
      expect(await store.write(points)).toEqual({ rejected: [] });
      const question = {
        orgId: org,
        deviceId: device,
        metrics: ['temp', 'mode', 'door'],
        from: BASE,
        to: BASE + 3 * every,
        every,
      };

      // Every aggregate asked: what a type cannot take is null (refusing it is the API's).
      const all = await aggregateOne(store, { ...question, aggregates: [...AGGREGATES] });
      expect(all).toEqual(expectedBuckets(samples, every));
      for (const bucket of all) {
        expect(bucket.types).toEqual({ door: ['boolean'], mode: ['string'], temp: ['number'] });
      }
      // What a dashboard asks of them.
      const asked = ['count', 'mean', 'first', 'last'] as const;
      const some = await aggregateOne(store, {
        ...question,
        metrics: ['door', 'mode'],
        aggregates: [...asked],
      });
      const { temp: _temp, ...doorAndMode } = samples;
      expect(some).toEqual(expectedBuckets(doorAndMode, every, [...asked]));
      expect(some.map((b) => typeof b.values.door?.mean)).toEqual(['number', 'number', 'number']);
    });

    it('aggregates a metric whose values change type over time (in other shards) by the same rule', async () => {
      const device = newDevice();
      const week = 7 * 86_400_000;
      // Four weeks aligned to the epoch, like InfluxDB's one-week shard groups: each type in its
      // own week, so in its own shard (InfluxDB refuses a second type within one shard).
      const start = Math.ceil(BASE / (4 * week)) * 4 * week;
      const weeks: MetricValue[][] = [
        [21.5, 19, 22.25],
        ['eco', 'off'],
        [true, false, false, true],
      ];
      const samples = new Map<number, MetricValue>();
      for (const [w, values] of weeks.entries()) {
        const points = values.map((value, i) => {
          const ts = start + w * week + (i + 1) * 3_600_000;
          samples.set(ts, value);
          return point(device, ts, { shape: value });
        });
        expect(await store.write(points)).toEqual({ rejected: [] });
      }
      const question = { orgId: org, deviceId: device, metrics: ['shape'], from: start };

      // A week per bucket: one type each, aggregated as that type.
      const weekly = await aggregateOne(store, {
        ...question,
        to: start + 4 * week,
        every: week,
        aggregates: [...AGGREGATES],
      });
      expect(weekly).toEqual(expectedBuckets({ shape: samples }, week));
      // One bucket over the three: COUNT of all, FIRST and LAST whatever their types.
      const [whole, ...more] = await aggregateOne(store, {
        ...question,
        to: start + 4 * week,
        every: 4 * week,
        aggregates: ['count', 'first', 'last'],
      });
      expect([whole, more]).toEqual([
        {
          start,
          values: { shape: { count: 9, first: 21.5, last: true } },
          types: { shape: ['boolean', 'number', 'string'] },
        },
        [],
      ]);
      // Latest is the newest value, whatever its type; raw has every value as written.
      expect(byMetric((await store.latest(org, [device])).get(device))).toEqual({
        shape: { value: true, ts: start + 2 * week + 4 * 3_600_000 },
      });
      const raw = await store.raw({ ...question, metrics: [], to: start + 4 * week, limit: 100 });
      expect(raw).toEqual([...samples].map(([ts, shape]) => point(device, ts, { shape })));
      const asked = await store.raw({
        ...question,
        metrics: ['shape'],
        to: start + 4 * week,
        limit: 100,
      });
      expect(asked).toEqual(raw);
    });

    it('gives SUM, MEAN and STDDEV to the last bit, the same on every read: exact sums, rounded once', async () => {
      const device = newDevice();
      const week = 7 * 86_400_000;
      // Buckets of four weeks, aligned like InfluxDB's one-week shard groups: each bucket spans
      // several shards (and DuckDB row groups), whose partial sums meet in no fixed order.
      const every = 4 * week;
      const first = Math.ceil(BASE / every) * every;
      const random = seededRandom(1_291_437);
      const buckets: number[][] = [
        // Ten tenths: 0.9999999999999999 added in turn, exactly 1.
        Array.from({ length: 10 }, () => 0.1),
        // Ones between two huge values that cancel: added in turn, the ones vanish.
        [1e16, ...Array.from({ length: 99 }, () => 1), -1e16],
        // Decimals of every magnitude, both signs: what sensors send, and the order matters.
        Array.from({ length: capabilities.largeBucketPoints ?? 20_000 }, () => {
          const magnitude = 10 ** Math.floor(random() * 12 - 4);
          return (Math.round((random() - 0.3) * 1e6) / 1e3) * magnitude;
        }),
      ];
      const points = buckets.flatMap((values, b) =>
        values.map((value, i) =>
          // Spread over three weeks of the bucket, so over three shards.
          point(device, first + b * every + Math.floor((i * 3 * week) / values.length), {
            level: value,
          }),
        ),
      );
      for (let i = 0; i < points.length; i += 20_000) {
        expect(await store.write(points.slice(i, i + 20_000))).toEqual({ rejected: [] });
      }
      const expected = buckets.map((values, b) => {
        const sum = correctlyRoundedSum(values);
        return {
          start: first + b * every,
          sum,
          mean: sum / values.length,
          count: values.length,
          stddev: referenceStddev(values),
        };
      });
      const question = {
        orgId: org,
        deviceId: device,
        metrics: ['level'],
        from: first,
        to: first + buckets.length * every,
        every,
        aggregates: ['sum', 'mean', 'count', 'stddev'] satisfies Aggregate[],
      };
      const read = async () =>
        (await aggregateOne(store, question)).map(({ start, values }) => ({
          start,
          ...values.level,
        }));
      // toEqual compares numbers with Object.is: every bit.
      for (let i = 0; i < 5; i++) expect(await read()).toEqual(expected);
      // With another device in the same read (another GROUP BY).
      const pair = await store.aggregateDevices({
        ...question,
        deviceIds: [newDevice(), device],
      });
      expect(pair.get(device)?.map((b) => b.values.level?.sum)).toEqual(expected.map((b) => b.sum));
      if (capabilities.persistent) {
        await store.close();
        store = await fixture.reopen!();
        expect(await read()).toEqual(expected);
      }
    }, 180_000);

    it('answers aggregateDevices for a page of devices as aggregate answers each one, in its organization only', async () => {
      const devices = Array.from({ length: 6 }, newDevice);
      const silent = newDevice();
      const other = `org-${uniqueSuffix()}`;
      const random = seededRandom(42);
      const every = 10 * MINUTE;
      // Per device and metric, each ts's last written value: what the buckets must hold.
      const samples = new Map<string, Record<string, Map<number, MetricValue>>>();
      const points: TelemetryPoint[] = [];
      devices.forEach((device, d) => {
        const own: Record<string, Map<number, MetricValue>> = {
          temp: new Map(),
          load: new Map(),
          mode: new Map(),
        };
        samples.set(device, own);
        for (let i = 0; i < 40 + d * 7; i += 1) {
          const ts = BASE + Math.floor(random() * 4 * every);
          const temp = Math.round(random() * 4_000 - 1_000) / 8;
          const metrics: Record<string, MetricValue> = { temp, mode: i % 3 ? 'on' : 'off' };
          // The last device never sends `load`: it has buckets for temp and mode only.
          if (d !== devices.length - 1) metrics.load = Math.floor(random() * 100);
          for (const [metric, value] of Object.entries(metrics)) own[metric]!.set(ts, value);
          points.push(point(device, ts, metrics));
        }
        if (d === devices.length - 1) delete own.load;
      });
      // Another organization's points for the same device ids, in the same buckets.
      const foreign = devices.map((device) =>
        point(device, BASE + 1, { temp: 10_000, load: -1 }, other),
      );
      await store.write(points);
      await store.write(foreign);

      const question = {
        metrics: ['temp', 'load', 'mode'],
        from: BASE,
        to: BASE + 4 * every,
        every,
        aggregates: [...AGGREGATES],
      };
      const byDevice = await store.aggregateDevices({
        ...question,
        orgId: org,
        deviceIds: [...devices, silent, devices[0]!],
      });

      expect(byDevice.get(silent) ?? []).toEqual([]);
      expect([...byDevice.keys()].sort()).toEqual([...devices].sort());
      for (const device of devices) {
        const expected = expectedBuckets(samples.get(device)!, every);
        expect(byDevice.get(device), device).toEqual(expected);
        const alone = await aggregateOne(store, { ...question, orgId: org, deviceId: device });
        expect(alone, device).toEqual(expected);
      }

      // The other organization sees its own single point per device, and nothing of ours.
      const theirs = await store.aggregateDevices({
        ...question,
        orgId: other,
        deviceIds: devices,
      });
      for (const device of devices) {
        expect(theirs.get(device)).toEqual([
          {
            start: BASE,
            values: {
              temp: expect.objectContaining({ count: 1, max: 10_000 }),
              load: expect.objectContaining({ count: 1, max: -1 }),
            },
            types: { temp: ['number'], load: ['number'] },
          },
        ]);
      }
      const stranger = `org-${uniqueSuffix()}`;
      expect(
        (await store.aggregateDevices({ ...question, orgId: stranger, deviceIds: devices })).size,
      ).toBe(0);
      expect((await store.aggregateDevices({ ...question, orgId: org, deviceIds: [] })).size).toBe(
        0,
      );
    });

    /** What a group can be asked: FIRST and LAST have no answer over several devices. */
    const GROUP_AGGREGATES = AGGREGATES.filter((name) => name !== 'first' && name !== 'last');

    /** Per metric, the samples of all these devices together, as a group pools them. */
    const pooled = (
      samples: ReadonlyMap<string, Record<string, Map<number, MetricValue>>>,
      deviceIds: readonly string[],
    ) => {
      const all: Record<string, (readonly [number, MetricValue, string])[]> = {};
      for (const deviceId of deviceIds) {
        for (const [metric, values] of Object.entries(samples.get(deviceId) ?? {})) {
          const tagged = [...values].map(([ts, value]) => [ts, value, deviceId] as const);
          (all[metric] ??= []).push(...tagged);
        }
      }
      return all;
    };

    /** Sets `metrics` as a device's samples: per metric, each ts's last written value. */
    const record = (
      samples: Map<string, Record<string, Map<number, MetricValue>>>,
      { deviceId, ts, metrics }: TelemetryPoint,
    ) => {
      const own = samples.get(deviceId) ?? {};
      samples.set(deviceId, own);
      for (const [metric, value] of Object.entries(metrics)) {
        (own[metric] ??= new Map()).set(ts, value);
      }
    };

    /** Everything in a map of buckets, whichever series may be absent rather than empty. */
    const allBuckets = (bySeries: Map<string, Bucket[]>) => [...bySeries.values()].flat();

    it('pools each group of devices into one series: the exact MEAN of all its points, percentiles over all of them, last writes only, in its organization only', async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const other = `org-${uniqueSuffix()}`;
      const random = seededRandom(3_141);
      const every = 10 * MINUTE;
      const [n1, n2, n3, s1, s2, silent, outsider] = Array.from({ length: 7 }, newDevice) as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const groups = [
        { key: 'north', deviceIds: [n1, n2, n3] },
        { key: 'south', deviceIds: [s1, s2] },
        { key: 'empty', deviceIds: [] },
        { key: 'quiet', deviceIds: [silent] },
      ];
      // How many points each device sends, around which temperature: the north's two differ in
      // both, so the north's pooled MEAN is not the mean of its devices' means. n3 sends nothing;
      // the outsider is in no group.
      const plans: [string, number, number][] = [
        [n1, 60, 10],
        [n2, 6, 30],
        [s1, 30, -5],
        [s2, 25, 0],
        [outsider, 20, 1_000],
      ];
      const samples = new Map<string, Record<string, Map<number, MetricValue>>>();
      const points: TelemetryPoint[] = [];
      for (const [deviceId, count, level] of plans) {
        for (let i = 0; i < count; i++) {
          // Whole seconds: some timestamps repeat, within a device (the later write wins) and
          // across devices (both count).
          const ts = BASE + Math.floor((random() * 4 * every) / 1_000) * 1_000;
          const metrics: Record<string, MetricValue> = {
            temp: level + Math.round(random() * 80) / 8,
          };
          // The south's doors: their MEAN is the fraction of true over both devices' values.
          if (deviceId === s1 || deviceId === s2) {
            metrics.door = random() < (deviceId === s1 ? 0.8 : 0.2);
          }
          points.push(point(deviceId, ts, metrics, orgId));
        }
      }
      // The same time on two devices of one group.
      points.push(point(n2, points[0]!.ts, { temp: 33.5 }, orgId));
      // Points written again with other values, one of them twice in its batch: the last write
      // counts, and only once.
      const resent = points
        .filter(({ deviceId }) => deviceId === n1 || deviceId === s2)
        .slice(0, 12)
        .map(({ deviceId, ts, metrics }) =>
          point(deviceId, ts, { temp: (metrics.temp as number) + 100 }, orgId),
        );
      resent.push(point(resent[0]!.deviceId, resent[0]!.ts, { temp: -3.25 }, orgId));
      for (const written of [...points, ...resent]) record(samples, written);
      // Another organization's points for the same device ids, in the same buckets.
      const foreign = [
        point(n1, BASE + 1, { temp: 10_000 }, other),
        point(s1, BASE + 2, { temp: -10_000, door: true }, other),
      ];
      expect(await store.write(points)).toEqual({ rejected: [] });
      expect(await store.write(resent)).toEqual({ rejected: [] });
      expect(await store.write(foreign)).toEqual({ rejected: [] });

      const question = {
        metrics: ['temp', 'door'],
        from: BASE,
        to: BASE + 4 * every,
        every,
        aggregates: GROUP_AGGREGATES,
      };
      const byGroup = await store.aggregateGroups({ ...question, orgId, groups });
      for (const { key, deviceIds } of groups) {
        const expected = expectedBuckets(pooled(samples, deviceIds), every, GROUP_AGGREGATES);
        expect(byGroup.get(key) ?? [], key).toEqual(expected);
      }
      expect(byGroup.get('north')).toHaveLength(4);
      expect([...byGroup.keys()].every((key) => groups.some((group) => group.key === key))).toBe(
        true,
      );

      // The data does tell a pooled MEAN from the mean of the devices' means.
      const meanOf = (deviceId: string) =>
        new Map(
          expectedBuckets(samples.get(deviceId)!, every, ['mean']).map(({ start, values }) => [
            start,
            values.temp!.mean!,
          ]),
        );
      const [m1, m2] = [meanOf(n1), meanOf(n2)];
      const shared = byGroup.get('north')!.filter(({ start }) => m1.has(start) && m2.has(start));
      expect(shared.length).toBeGreaterThan(0);
      for (const { start, values } of shared) {
        expect(values.temp!.mean).not.toBe((m1.get(start)! + m2.get(start)!) / 2);
      }

      // A group of one device is that device.
      const single = await store.aggregateGroups({
        ...question,
        orgId,
        groups: [{ key: 'one', deviceIds: [s1] }],
      });
      const device = await store.aggregateDevices({ ...question, orgId, deviceIds: [s1] });
      expect(single.get('one')).toEqual(device.get(s1));

      // A range without points.
      const before = { ...question, orgId, groups, from: BASE - 4 * every, to: BASE };
      expect(allBuckets(await store.aggregateGroups(before))).toEqual([]);

      // The other organization sees its own points only; a third sees nothing.
      const theirs = await store.aggregateGroups({ ...question, orgId: other, groups });
      expect(theirs.get('north')).toEqual([
        {
          start: BASE,
          values: { temp: expect.objectContaining({ count: 1, mean: 10_000, p50: 10_000 }) },
          types: { temp: ['number'] },
        },
      ]);
      expect(theirs.get('south')).toEqual([
        {
          start: BASE,
          values: {
            door: expect.objectContaining({ count: 1, mean: 1 }),
            temp: expect.objectContaining({ count: 1, sum: -10_000 }),
          },
          types: { door: ['boolean'], temp: ['number'] },
        },
      ]);
      const stranger = `org-${uniqueSuffix()}`;
      expect(
        allBuckets(await store.aggregateGroups({ ...question, orgId: stranger, groups })),
      ).toEqual([]);
      expect((await store.aggregateGroups({ ...question, orgId, groups: [] })).size).toBe(0);
    });

    it("gives a group's metric the types of all its devices' values: one device's booleans and another's numbers", async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const week = 7 * 86_400_000;
      // Each type in its own week, aligned like InfluxDB's one-week shard groups: InfluxDB refuses
      // a second type of a field within one shard.
      const start = Math.ceil(BASE / (4 * week)) * 4 * week;
      const [switcher, meter] = [newDevice(), newDevice()];
      const samples = new Map<string, Record<string, Map<number, MetricValue>>>();
      const written = [
        [true, false, true, true].map((state, i) =>
          point(switcher, start + (i + 1) * HOUR, { state }, orgId),
        ),
        [2.5, 4, -1].map((state, i) =>
          point(meter, start + week + (i + 1) * HOUR, { state }, orgId),
        ),
      ];
      for (const points of written) {
        expect(await store.write(points)).toEqual({ rejected: [] });
        for (const each of points) record(samples, each);
      }
      const question = {
        orgId,
        groups: [{ key: 'mixed', deviceIds: [switcher, meter] }],
        metrics: ['state'],
        from: start,
        to: start + 2 * week,
        aggregates: GROUP_AGGREGATES,
      };
      const both = pooled(samples, [switcher, meter]);

      const whole = await store.aggregateGroups({ ...question, every: 2 * week });
      expect(whole.get('mixed')).toEqual(expectedBuckets(both, 2 * week, GROUP_AGGREGATES));
      expect(whole.get('mixed')?.map((bucket) => bucket.types)).toEqual([
        { state: ['boolean', 'number'] },
      ]);
      expect(whole.get('mixed')?.[0]?.values.state?.count).toBe(7);
      // A week per bucket: one type each.
      const weekly = await store.aggregateGroups({ ...question, every: week });
      expect(weekly.get('mixed')).toEqual(expectedBuckets(both, week, GROUP_AGGREGATES));
      expect(weekly.get('mixed')?.map((bucket) => bucket.types.state)).toEqual([
        ['boolean'],
        ['number'],
      ]);
    });

    it('refuses FIRST and LAST of a group, and a device in two groups', async () => {
      const [a, b] = [newDevice(), newDevice()];
      const question = { orgId: org, metrics: ['temp'], from: BASE, to: BASE + MINUTE };
      for (const end of ['first', 'last'] as const) {
        const asked = store.aggregateGroups({
          ...question,
          every: MINUTE,
          groups: [{ key: 'g', deviceIds: [a] }],
          aggregates: ['count', end],
        });
        await expect(asked).rejects.toBeInstanceOf(RangeError);
      }
      const twice = store.aggregateGroups({
        ...question,
        every: MINUTE,
        groups: [
          { key: 'g', deviceIds: [a, b] },
          { key: 'h', deviceIds: [b] },
        ],
        aggregates: ['count'],
      });
      await expect(twice).rejects.toBeInstanceOf(RangeError);
    });

    it('gives MEDIAN as InfluxQL does, STDDEV from exact sums and SPREAD, per device and pooled, last writes only', async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const every = 10 * MINUTE;
      const [a, b, c] = [newDevice(), newDevice(), newDevice()];
      const random = seededRandom(8_675_309);
      const samples = new Map<string, Record<string, Map<number, MetricValue>>>();
      const points = [
        // Two middle values whose (lo + hi) / 2 is 0.39999999999999997 and lo + (hi - lo) / 2 is
        // 0.4 (InfluxQL's MEDIAN, the documented one); DuckDB's own median() says the former.
        point(a, BASE + 1_000, { level: 0.7, door: true }, orgId),
        point(a, BASE + 2_000, { level: 0.1, door: false }, orgId),
        // Alone in its bucket: STDDEV null, SPREAD 0, MEDIAN itself.
        point(a, BASE + every + 5_000, { level: 5 }, orgId),
        // Far from zero and close together: sum-of-squares minus square-of-sum in doubles has no
        // digit left of their deviation.
        ...[1, 2, 4, 4, 7].map((step, i) =>
          point(b, BASE + (i + 1) * 1_000 + 500, { level: 1e8 + step / 1_000 }, orgId),
        ),
        // The same time on two devices of a group: both count.
        point(b, BASE + 2_000, { level: 1e8 + 0.0055 }, orgId),
        ...Array.from({ length: 25 }, () =>
          point(c, BASE + Math.floor(random() * 2 * every), { level: random() * 100 - 30 }, orgId),
        ),
      ];
      // Written again with other values: only the last write counts.
      const resent = [
        point(a, BASE + 1_000, { level: 0.7 }, orgId),
        point(b, BASE + 1_500, { level: 1e8 + 0.003 }, orgId),
        point(c, points.at(-1)!.ts, { level: -1.5 }, orgId),
      ];
      expect(await store.write(points)).toEqual({ rejected: [] });
      expect(await store.write(resent)).toEqual({ rejected: [] });
      for (const written of [...points, ...resent]) record(samples, written);
      const aggregates: Aggregate[] = ['count', 'median', 'stddev', 'spread', 'min', 'max'];
      const question = {
        orgId,
        metrics: ['level', 'door'],
        from: BASE,
        to: BASE + 2 * every,
        every,
        aggregates,
      };

      const devices = await store.aggregateDevices({ ...question, deviceIds: [a, b, c] });
      for (const device of [a, b, c]) {
        expect(devices.get(device), device).toEqual(
          expectedBuckets(samples.get(device)!, every, aggregates),
        );
      }
      // The exact deviation of the doubles 0.7 and 0.1 rounds to 0.42426406871192845; InfluxQL's
      // STDDEV() (a running mean, then the squares) says 0.4242640687119285, one ulp above.
      expect(devices.get(a)?.map(({ values }) => values.level)).toEqual([
        { count: 2, median: 0.4, stddev: 0.42426406871192845, spread: 0.6, min: 0.1, max: 0.7 },
        { count: 1, median: 5, stddev: null, spread: 0, min: 5, max: 5 },
      ]);
      // A boolean metric has none of them (refusing them is the API's).
      expect(devices.get(a)?.[0]?.values.door).toEqual({
        count: 2,
        median: null,
        stddev: null,
        spread: null,
        min: null,
        max: null,
      });
      // 1e8 + 0.003, 0.0055, 0.002, 0.004, 0.004 and 0.007: sqrt(15.875e-6 / 5).
      expect(devices.get(b)?.[0]?.values.level?.stddev).toBeCloseTo(0.0017819, 6);

      const groups = [
        { key: 'ab', deviceIds: [a, b] },
        { key: 'c', deviceIds: [c] },
      ];
      const pooledAnswer = await store.aggregateGroups({ ...question, groups });
      for (const { key, deviceIds } of groups) {
        expect(pooledAnswer.get(key), key).toEqual(
          expectedBuckets(pooled(samples, deviceIds), every, aggregates),
        );
      }
      // The pooled MEDIAN of eight numbers is the mean of two of b's, not anything of a's.
      expect(pooledAnswer.get('ab')?.[0]?.values.level?.count).toBe(8);
      expect(pooledAnswer.get('c')).toEqual(devices.get(c));
    });

    it('ranks percentiles asked by value as written in decimal, per device and pooled, last writes only', async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const every = 10 * MINUTE;
      const [a, b, quiet] = [newDevice(), newDevice(), newDevice()];
      const random = seededRandom(92_375);
      const samples = new Map<string, Record<string, Map<number, MetricValue>>>();
      // 375 numbers in a's first bucket: 9.2 % of them is 34.5, so the nearest rank is 35, where
      // floor(375 * 9.2 / 100 + 0.5) in doubles (InfluxQL PERCENTILE's arithmetic) gives 34.
      const points = [
        ...Array.from({ length: 375 }, (_, i) =>
          point(a, BASE + i * 1_000, { level: Math.round(random() * 100_000) / 100 }, orgId),
        ),
        // Three numbers in the next bucket: P1 of them is rank 0, clamped to 1, the smallest.
        ...[30, 10, 20].map((level, i) => point(a, BASE + every + i * 1_000, { level }, orgId)),
        // b shares a's first bucket, and has a boolean metric that takes no percentile.
        ...Array.from({ length: 40 }, (_, i) =>
          point(b, BASE + i * 3_000, { level: (1 - i) / 4, door: i % 3 === 0 }, orgId),
        ),
      ];
      // Written again with other values: only the last write counts.
      const resent = points
        .slice(0, 30)
        .map(({ deviceId, ts }) =>
          point(deviceId, ts, { level: 5_000 + Math.round(random() * 1_000) }, orgId),
        );
      expect(await store.write(points)).toEqual({ rejected: [] });
      expect(await store.write(resent)).toEqual({ rejected: [] });
      for (const written of [...points, ...resent]) record(samples, written);
      const percentiles = [99.9, 12.5, 9.2, 1, 50, 100, 0.001];
      const aggregates: Aggregate[] = ['count', 'p90'];
      const question = {
        orgId,
        metrics: ['level', 'door'],
        from: BASE,
        to: BASE + 2 * every,
        every,
        aggregates,
        percentiles,
      };

      const devices = await store.aggregateDevices({ ...question, deviceIds: [a, b, quiet] });
      for (const device of [a, b]) {
        expect(devices.get(device), device).toEqual(
          expectedBuckets(samples.get(device)!, every, aggregates, 0, percentiles),
        );
      }
      expect(devices.get(quiet) ?? []).toEqual([]);
      const sortedA = [...samples.get(a)!.level!]
        .filter(([ts]) => ts < BASE + every)
        .map(([, level]) => level as number)
        .sort((x, y) => x - y);
      expect(sortedA).toHaveLength(375);
      const [first, second] = devices.get(a)!;
      expect(first?.values.level?.percentiles?.[2]).toEqual({
        percentile: 9.2,
        value: sortedA[34],
      });
      expect(sortedA[34]).not.toBe(sortedA[33]);
      expect(second?.values.level?.percentiles).toEqual([
        { percentile: 99.9, value: 30 },
        { percentile: 12.5, value: 10 },
        { percentile: 9.2, value: 10 },
        { percentile: 1, value: 10 },
        { percentile: 50, value: 20 },
        { percentile: 100, value: 30 },
        { percentile: 0.001, value: 10 },
      ]);
      // A metric of booleans has no numbers to rank.
      expect(devices.get(b)?.[0]?.values.door?.percentiles).toEqual(
        percentiles.map((percentile) => ({ percentile, value: null })),
      );

      const groups = [{ key: 'both', deviceIds: [a, b, quiet] }];
      const pooledAnswer = await store.aggregateGroups({ ...question, groups });
      expect(pooledAnswer.get('both')).toEqual(
        expectedBuckets(pooled(samples, [a, b, quiet]), every, aggregates, 0, percentiles),
      );
      // Percentiles alone, no other aggregate.
      const alone = await store.aggregateDevices({ ...question, aggregates: [], deviceIds: [a] });
      expect(alone.get(a)).toEqual(expectedBuckets(samples.get(a)!, every, [], 0, percentiles));
      const aloneGrouped = await store.aggregateGroups({ ...question, aggregates: [], groups });
      expect(aloneGrouped.get('both')).toEqual(
        expectedBuckets(pooled(samples, [a, b, quiet]), every, [], 0, percentiles),
      );
    });

    it("gives a counter's INCREASE and RATE: steps in time order, a drop a reset, each step in its later point's bucket, points in range only", async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const every = 10 * MINUTE;
      const [a, b, c] = [newDevice(), newDevice(), newDevice()];
      const at = (minutes: number) => BASE + minutes * MINUTE;
      // An unaligned range: its first and last buckets are five minutes of ten.
      const range = { from: at(5), to: at(45) };
      const points = [
        // Before the range: not even the previous point of the first one in it.
        point(a, at(2), { count: 100 }, orgId),
        point(a, at(6), { count: 10 }, orgId),
        point(a, at(8), { count: 15 }, orgId),
        // A drop: the counter restarted, its step is the new value.
        point(a, at(12), { count: 3 }, orgId),
        point(a, at(14), { count: 3 }, orgId),
        point(a, at(16), { count: 7.5 }, orgId),
        // Nothing from 20 to 30: the step to 33 is in 33's bucket.
        point(a, at(33), { count: 20 }, orgId),
        point(a, at(41), { count: 0.1 }, orgId),
        // After the range.
        point(a, at(47), { count: 50 }, orgId),
        point(b, at(7), { count: 1_000 }, orgId),
        point(b, at(25), { count: 1_001.5 }, orgId),
        point(b, at(44), { count: 2 }, orgId),
        // Alone: INCREASE 0, STDDEV null.
        point(c, at(22), { count: 42 }, orgId),
      ];
      // Written again: the last write counts.
      const resent = [point(a, at(16), { count: 8 }, orgId)];
      const samples = new Map<string, Record<string, Map<number, MetricValue>>>();
      expect(await store.write(points)).toEqual({ rejected: [] });
      expect(await store.write(resent)).toEqual({ rejected: [] });
      for (const written of [...points, ...resent]) record(samples, written);
      const aggregates: Aggregate[] = ['count', 'increase', 'rate', 'stddev'];
      const question = { orgId, metrics: ['count'], ...range, every, aggregates };
      type Asked = {
        from: number;
        to: number;
        every: number;
        origin?: number;
        counterFrom?: number;
      };
      const expected = (deviceIds: string[], asked: Asked = question) =>
        expectedBuckets(
          pooled(samples, deviceIds),
          asked.every,
          aggregates,
          asked.origin ?? 0,
          [],
          {
            from: asked.from,
            to: asked.to,
            counterFrom: asked.counterFrom,
          },
        );

      const devices = await store.aggregateDevices({ ...question, deviceIds: [a, b, c] });
      for (const device of [a, b, c]) {
        expect(devices.get(device), device).toEqual(expected([device]));
      }
      const seconds = (minutes: number) => minutes * 60;
      expect(devices.get(a)?.map(({ start, values }) => [start, values.count])).toEqual([
        [at(0), { count: 2, increase: 5, rate: 5 / seconds(5), stddev: expect.any(Number) }],
        [at(10), { count: 3, increase: 8, rate: 8 / seconds(10), stddev: expect.any(Number) }],
        [at(30), { count: 1, increase: 12, rate: 12 / seconds(10), stddev: null }],
        [at(40), { count: 1, increase: 0.1, rate: 0.1 / seconds(5), stddev: null }],
      ]);
      expect(devices.get(c)?.map(({ values }) => values.count)).toEqual([
        { count: 1, increase: 0, rate: 0, stddev: null },
      ]);

      // Pooled: the steps of every device of the group, summed exactly.
      const groups = [{ key: 'all', deviceIds: [a, b, c] }];
      const pooledAnswer = await store.aggregateGroups({ ...question, groups });
      expect(pooledAnswer.get('all')).toEqual(expected([a, b, c]));
      expect(pooledAnswer.get('all')?.map(({ values }) => values.count?.increase)).toEqual([
        5,
        8,
        1.5,
        12,
        0.1 + 2,
      ]);

      // One bucket over the whole range: the sum of the buckets' INCREASEs.
      const whole = { ...question, every: range.to - range.from, origin: range.from };
      const [total] = (await store.aggregateDevices({ ...whole, deviceIds: [a] })).get(a)!;
      expect(total?.values.count?.increase).toBe(5 + 8 + 12 + 0.1);
      expect(total?.values.count?.rate).toBe((5 + 8 + 12 + 0.1) / seconds(40));

      // The range cut in two questions (a time zone's runs): from the cut on, the previous point
      // is found before it when counterFrom says where the whole question starts.
      const late = { ...question, from: at(30), counterFrom: range.from };
      const lateAnswer = await store.aggregateDevices({ ...late, deviceIds: [a, b] });
      expect(lateAnswer.get(a)).toEqual(expected([a], late));
      expect(lateAnswer.get(a)?.map(({ values }) => values.count?.increase)).toEqual([12, 0.1]);
      const lateGroup = await store.aggregateGroups({ ...late, groups });
      expect(lateGroup.get('all')).toEqual(expected([a, b, c], late));
      // Without it, the cut's first point starts a new series.
      const cut = await store.aggregateDevices({ ...question, from: at(30), deviceIds: [a] });
      expect(cut.get(a)?.map(({ values }) => values.count?.increase)).toEqual([0, 0.1]);
    });

    it('starts buckets at origin + k·every: one bucket spanning exactly an unaligned [from, to), for devices and groups', async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const [a, b] = [newDevice(), newDevice()];
      const from = BASE + 7 * MINUTE + 12_345;
      const to = from + 3 * HOUR + 678;
      const times = [from - 1, from, from + 1, from + 90 * MINUTE, to - 1, to, to + 1];
      const samples = new Map<string, Record<string, Map<number, MetricValue>>>();
      for (const [d, device] of [a, b].entries()) {
        const points = times.map((ts, i) => point(device, ts, { v: d * 100 + i + 0.25 }, orgId));
        expect(await store.write(points)).toEqual({ rejected: [] });
        for (const each of points) if (each.ts >= from && each.ts < to) record(samples, each);
      }
      const aggregates: Aggregate[] = ['count', 'sum', 'mean', 'min', 'max', 'p50', 'p90'];
      const question = {
        orgId,
        metrics: ['v'],
        from,
        to,
        every: to - from,
        origin: from,
        aggregates,
      };

      const devices = await store.aggregateDevices({ ...question, deviceIds: [a, b] });
      for (const device of [a, b]) {
        const expected = expectedBuckets(samples.get(device)!, to - from, aggregates, from);
        expect(devices.get(device), device).toEqual(expected);
        expect(devices.get(device)?.map(({ start, values }) => [start, values.v?.count])).toEqual([
          [from, 4],
        ]);
      }
      const groups = await store.aggregateGroups({
        ...question,
        groups: [{ key: 'both', deviceIds: [a, b] }],
      });
      expect(groups.get('both')).toEqual(
        expectedBuckets(pooled(samples, [a, b]), to - from, aggregates, from),
      );
      expect(groups.get('both')?.map(({ start, values }) => [start, values.v?.count])).toEqual([
        [from, 8],
      ]);

      // Hours from `from`, whichever origin a whole number of hours away names them by.
      const hourly = expectedBuckets(samples.get(a)!, HOUR, aggregates, from);
      expect(hourly.map(({ start }) => start)).toEqual([from, from + HOUR, from + 3 * HOUR]);
      for (const origin of [from, from + 7 * HOUR, from - 1_000 * HOUR]) {
        const asked = { ...question, every: HOUR, origin };
        const answer = await store.aggregateDevices({ ...asked, deviceIds: [a] });
        expect(answer.get(a), String(origin)).toEqual(hourly);
      }
      const unaligned = store.aggregateDevices({ ...question, origin: from + 0.5, deviceIds: [a] });
      await expect(unaligned).rejects.toBeInstanceOf(RangeError);
    });

    it('starts buckets at the origin for FIRST and LAST of a bucket whose values are of several types too', async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const week = 7 * 86_400_000;
      // Numbers in one week, booleans in the next (InfluxDB's one-week shards, as above).
      const start = Math.ceil(BASE / (4 * week)) * 4 * week;
      const device = newDevice();
      const samples = new Map<string, Record<string, Map<number, MetricValue>>>();
      const written = [
        [1.5, 2.5, 3.5, 4.5].map((shape, i) =>
          point(device, start + (i + 1) * HOUR, { shape }, orgId),
        ),
        [true, false, true, false].map((shape, i) =>
          point(device, start + week + (i + 1) * HOUR, { shape }, orgId),
        ),
      ];
      for (const points of written) {
        expect(await store.write(points)).toEqual({ rejected: [] });
        for (const each of points) record(samples, each);
      }
      // Weeks starting 2.5 hours into the first: the middle one holds two numbers, then two
      // booleans, its FIRST a number and its LAST a boolean.
      const origin = start + 2 * HOUR + 30 * MINUTE;
      const aggregates: Aggregate[] = ['count', 'first', 'last'];
      const buckets = await aggregateOne(store, {
        orgId,
        deviceId: device,
        metrics: ['shape'],
        from: start,
        to: start + 2 * week,
        every: week,
        origin,
        aggregates,
      });
      expect(buckets).toEqual(expectedBuckets(samples.get(device)!, week, aggregates, origin));
      expect(buckets[1]).toEqual({
        start: origin,
        values: { shape: { count: 4, first: 3.5, last: false } },
        types: { shape: ['boolean', 'number'] },
      });
    });

    it('lists the devices with a point in [from, to): from included, to excluded, in their organization only', async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const other = `org-${uniqueSuffix()}`;
      const from = BASE + 12_345;
      const to = from + HOUR;
      const [first, last, middle, atTo, before, foreign, silent] = Array.from(
        { length: 7 },
        newDevice,
      ) as [string, string, string, string, string, string, string];
      expect(
        await store.write([
          point(first, from, { v: 1 }, orgId),
          // A value of any type is a point.
          point(last, to - 1, { label: 'x' }, orgId),
          point(middle, from + 30 * MINUTE, { on: true }, orgId),
          point(middle, to + 5, { v: 2 }, orgId),
          point(atTo, to, { v: 3 }, orgId),
          point(before, from - 1, { v: 4 }, orgId),
          point(foreign, from + 1, { v: 5 }, other),
        ]),
      ).toEqual({ rejected: [] });
      const everyone = [first, last, middle, atTo, before, foreign, silent];
      const reporting = async (asking: string, deviceIds: string[], lo = from, hi = to) =>
        [...(await store.reportingDevices(asking, deviceIds, lo, hi))].sort();

      expect(await reporting(orgId, everyone)).toEqual([first, last, middle].sort());
      expect(await reporting(orgId, [last, silent, atTo])).toEqual([last]);
      expect(await reporting(orgId, [atTo], to, to + 1)).toEqual([atTo]);
      expect(await reporting(orgId, [before], from - 1, from)).toEqual([before]);
      expect(await reporting(orgId, [])).toEqual([]);
      expect(await reporting(other, everyone)).toEqual([foreign]);
      expect(await reporting(`org-${uniqueSuffix()}`, everyone)).toEqual([]);
    });

    it('lists a device whatever the type of its values in the range, a metric of several types included', async () => {
      const orgId = `org-${uniqueSuffix()}`;
      const week = 7 * 86_400_000;
      // Each type in its own week (InfluxDB's one-week shards), as in the tests above.
      const start = Math.ceil(BASE / (4 * week)) * 4 * week;
      const [numbers, booleans] = [newDevice(), newDevice()];
      expect(await store.write([point(numbers, start + HOUR, { kind: 1.5 }, orgId)])).toEqual({
        rejected: [],
      });
      expect(
        await store.write([point(booleans, start + week + HOUR, { kind: true }, orgId)]),
      ).toEqual({ rejected: [] });
      const reporting = async (from: number, to: number) =>
        [...(await store.reportingDevices(orgId, [numbers, booleans], from, to))].sort();

      expect(await reporting(start, start + 2 * week)).toEqual([numbers, booleans].sort());
      expect(await reporting(start, start + week)).toEqual([numbers]);
      expect(await reporting(start + week, start + 2 * week)).toEqual([booleans]);
    });

    it('includes from and excludes to, in raw and aggregate', async () => {
      const device = newDevice();
      const from = BASE + 10 * MINUTE;
      const to = BASE + 20 * MINUTE;
      await store.write(
        [from - 1, from, from + 1, to - 1, to, to + 1].map((ts, i) => point(device, ts, { v: i })),
      );
      const raw = await store.raw({
        orgId: org,
        deviceId: device,
        metrics: [],
        from,
        to,
        limit: 100,
      });
      expect(raw.map((p) => p.ts)).toEqual([from, from + 1, to - 1]);

      const buckets = await aggregateOne(store, {
        orgId: org,
        deviceId: device,
        metrics: ['v'],
        from,
        to,
        every: 5 * MINUTE,
        aggregates: ['count', 'min', 'max'],
      });
      expect(buckets).toEqual([
        { start: from, values: { v: { count: 2, min: 1, max: 2 } }, types: { v: ['number'] } },
        {
          start: from + 5 * MINUTE,
          values: { v: { count: 1, min: 3, max: 3 } },
          types: { v: ['number'] },
        },
      ]);
    });

    it('never shows one organization the data of another', async () => {
      const device = newDevice();
      const other = `org-${uniqueSuffix()}`;
      await store.write([
        point(device, BASE, { v: 1 }),
        point(device, BASE + 1, { v: 100 }, other),
      ]);

      expect(await rawAll(device)).toEqual([point(device, BASE, { v: 1 })]);
      expect(await rawAll(device, [], other)).toEqual([point(device, BASE + 1, { v: 100 }, other)]);
      expect(byMetric((await store.latest(org, [device])).get(device))).toEqual({
        v: { value: 1, ts: BASE },
      });
      const stranger = `org-${uniqueSuffix()}`;
      expect((await store.latest(stranger, [device])).get(device) ?? []).toEqual([]);
      expect(await rawAll(device, [], stranger)).toEqual([]);
      const buckets = await aggregateOne(store, {
        orgId: other,
        deviceId: device,
        metrics: ['v'],
        from: BASE,
        to: BASE + MINUTE,
        every: MINUTE,
        aggregates: ['count', 'sum'],
      });
      expect(buckets).toEqual([
        { start: BASE, values: { v: { count: 1, sum: 100 } }, types: { v: ['number'] } },
      ]);
    });

    it('never lets a metric named like a tag (org_id) show one organization the points of another', async () => {
      // Written straight through the store, as if ingest's reserved-name rule were bypassed.
      const device = newDevice();
      const other = `org-${uniqueSuffix()}`;
      const own = point(device, BASE, { reading: 20 });
      const forged = point(
        device,
        BASE + 1,
        { org_id: org, device_id: device, reading: 99 },
        other,
      );
      const written = await store.write([own, forged]);

      // The owner's point stays visible, and only the owner's.
      expect(await rawAll(device)).toEqual([own]);
      expect(byMetric((await store.latest(org, [device])).get(device))).toEqual({
        reading: { value: 20, ts: BASE },
      });
      const [bucket, ...more] = await aggregateOne(store, {
        orgId: org,
        deviceId: device,
        metrics: ['reading'],
        from: BASE,
        to: BASE + MINUTE,
        every: MINUTE,
        aggregates: ['count', 'max'],
      });
      expect([bucket?.values, more]).toEqual([{ reading: { count: 1, max: 20 } }, []]);
      // The forged point is refused with a reason, or kept for its own organization only.
      const { rejected } = written;
      expect(rejected.map((entry) => entry.point)).toEqual(rejected.length === 0 ? [] : [forged]);
      for (const { reason } of rejected) expect(reason).toMatch(/org_id|device_id/);
      expect(await rawAll(device, [], other)).toEqual(rejected.length === 0 ? [forged] : []);
    });

    it("does not refuse one organization's numbers because another sent a string of the same name", async () => {
      const device = newDevice();
      const other = `org-${uniqueSuffix()}`;
      // The other organization's string comes first, into the same time range (InfluxDB fixes a
      // field's type per measurement and shard).
      const text = point(device, BASE, { level: 'high' }, other);
      const numbers = [
        point(device, BASE + 1, { level: 1.5 }),
        point(device, BASE + 2, { level: 2 }),
      ];
      const results = [await store.write([text]), await store.write(numbers)];

      expect(await rawAll(device)).toEqual(numbers);
      expect(await rawAll(device, [], other)).toEqual([text]);
      const [bucket] = await aggregateOne(store, {
        orgId: org,
        deviceId: device,
        metrics: ['level'],
        from: BASE,
        to: BASE + MINUTE,
        every: MINUTE,
        aggregates: ['count', 'sum'],
      });
      expect(bucket?.values.level).toEqual({ count: 2, sum: 3.5 });
      expect(results).toEqual([{ rejected: [] }, { rejected: [] }]);
    });

    it('returns only the requested metrics and skips points that have none of them', async () => {
      const device = newDevice();
      await store.write([
        point(device, BASE, { temp: 1, hum: 2, mode: 'a' }),
        point(device, BASE + 1, { hum: 3 }),
        point(device, BASE + 2, { temp: 4, mode: 'b' }),
      ]);
      expect(await rawAll(device, ['temp', 'mode'])).toEqual([
        point(device, BASE, { temp: 1, mode: 'a' }),
        point(device, BASE + 2, { temp: 4, mode: 'b' }),
      ]);
    });

    it('pages through raw points with after and limit, each point exactly once', async () => {
      const device = newDevice();
      const random = seededRandom(7);
      const times = new Set<number>();
      while (times.size < 57) times.add(BASE + Math.floor(random() * 3_600_000));
      await store.write([...times].map((ts) => point(device, ts, { v: ts - BASE })));

      const seen: number[] = [];
      let after: number | undefined;
      for (let pages = 0; pages < 20; pages += 1) {
        const page = await store.raw({
          orgId: org,
          deviceId: device,
          metrics: ['v'],
          from: BASE,
          to: BASE + 3_600_000,
          after,
          limit: 10,
        });
        expect(page.length).toBeLessThanOrEqual(10);
        if (page.length === 0) break;
        for (const p of page) expect(p.metrics.v).toBe(p.ts - BASE);
        seen.push(...page.map((p) => p.ts));
        after = page.at(-1)!.ts;
      }
      expect(seen).toEqual([...times].sort((a, b) => a - b));
    });

    it('stays correct under concurrent writes and reads', async () => {
      const devices = Array.from({ length: 8 }, newDevice);
      const writes = devices.flatMap((device) =>
        Array.from({ length: 5 }, (_, batch) =>
          store.write(
            Array.from({ length: 20 }, (_, i) => point(device, BASE + batch * 20 + i, { v: i })),
          ),
        ),
      );
      const reads = devices.map((device) => store.latest(org, [device]));
      await Promise.all([...writes, ...reads]);
      for (const device of devices) expect(await rawAll(device)).toHaveLength(100);
    });

    if (capabilities.persistent) {
      it('keeps its data across close and reopen', async () => {
        const device = newDevice();
        const points = [point(device, BASE, { temp: 1.5, on: true, mode: 'eco' })];
        await store.write(points);
        await store.close();
        store = await fixture.reopen!();
        expect(await rawAll(device)).toEqual(points);
        expect(byMetric((await store.latest(org, [device])).get(device))).toEqual({
          temp: { value: 1.5, ts: BASE },
          on: { value: true, ts: BASE },
          mode: { value: 'eco', ts: BASE },
        });
        // Writes after a reopen still win over what was there.
        await store.write([point(device, BASE, { temp: 2 })]);
        expect(await rawAll(device, ['temp'])).toEqual([point(device, BASE, { temp: 2 })]);
      });
    }
  });
}
