/**
 * Rollups on both stores (src/adapters/telemetry-store/rollup-plan.ts): points written in
 * shuffled batches, with duplicates, late and out-of-order points and batches delivered twice.
 * For every aggregate a rollup answers, each window of the ladder that rollups serve must give
 * the very bits the points give (test/support/reference-aggregates.ts, worked out here from the
 * points as last written, not by the code under test), for devices and for pooled groups, with
 * ranges that cut their first and last buckets. Then the raw points are deleted: the answers must
 * not change (they come from the rollups), until the rollups are deleted too.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { createInfluxHttp } from '../../src/adapters/telemetry-store/influx-http.js';
import {
  aggregateFromRollupTotals,
  TOTALS_AGGREGATES,
} from '../../src/adapters/telemetry-store/influx-rollup-totals.js';
import { ROLLUP_AGGREGATES } from '../../src/domain/rollups.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aggregate, Bucket, MetricValue, TelemetryPoint } from '../../src/domain/telemetry.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import { referenceMetricBuckets, type ReferenceRange } from '../support/reference-aggregates.js';
import { seededRandom } from '../support/seeded-random.js';
import { describeOnBothStores, openDuckDbOnDisk, type OpenedStore } from './store-fixtures.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 2, 2);
const SPAN = 3 * HOUR;
const ORG = 'org-rollups';
const OTHER = 'org-rollups-other';
const DEVICES = ['d1', 'd2', 'd3'];
const METRICS = ['door', 'energy', 'mixed', 'power', 'state'];
/** Every aggregate a rollup answers (all of them: a new one is tested here as it comes). */
const DERIVABLE: Aggregate[] = [...ROLLUP_AGGREGATES];
/** Numbers only, every one a multiple of 2^-64: InfluxDB adds up its rows' totals itself. */
const NUMBERS_ONLY = ['energy'];
const POOLED = DERIVABLE.filter((name) => name !== 'first' && name !== 'last');
/**
 * Questions asking some of them, as charts do: a store may read less of a rollup row for them
 * (DuckDB leaves out FIRST and LAST, the squares, the steps, and reads a device's rows of the
 * question's own window as they are).
 */
const SUBSETS: Aggregate[][] = [
  ['mean', 'min', 'max'],
  ['count', 'sum', 'spread'],
  ['first', 'last'],
  ['stddev'],
  ['increase'],
]; /** The windows rollups serve, each dividing SPAN: every bucket of WHOLE is whole. */
const WINDOWS = [MINUTE, 2 * MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 3 * HOUR];

const random = seededRandom(20261205);
const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;

/**
 * A device's metrics at one time: numbers of many magnitudes, a counter that resets, booleans,
 * strings, and `mixed`: numbers, but strings in the second hour (InfluxDB takes one type per
 * shard: its database here has shards of an hour), so buckets of more than an hour hold both.
 */
function metricsOf(counter: { value: number }, ts: number): Record<string, MetricValue> {
  counter.value = random() < 0.05 ? random() * 3 : counter.value + random() * 7.3;
  const metrics: Record<string, MetricValue> = {
    power: (random() - 0.3) * 10 ** Math.floor(random() * 9 - 3),
    energy: counter.value,
  };
  if (random() < 0.4) metrics.door = random() < 0.5;
  if (random() < 0.2) metrics.state = pick(['idle', 'run, fast', 'say "hi"; then stop']);
  const secondHour = ts >= T0 + HOUR && ts < T0 + 2 * HOUR;
  if (random() < 0.5) metrics.mixed = secondHour ? pick(['n/a', 'off,1']) : random() * 100;
  return metrics;
}

/** Every write in the order it is made: duplicates of a time later, some batches twice. */
function writesOf(orgId: string): TelemetryPoint[][] {
  const writes: TelemetryPoint[] = [];
  for (const deviceId of DEVICES) {
    const counter = { value: 0 };
    const times = new Set<number>();
    while (times.size < 300) times.add(T0 + Math.floor(random() * SPAN));
    for (const ts of [...times].sort((a, b) => a - b)) {
      writes.push({ orgId, deviceId, ts, metrics: metricsOf(counter, ts) });
    }
  }
  // Shuffled: late and out-of-order points, then a tenth of them written again with new values.
  for (let i = writes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [writes[i], writes[j]] = [writes[j]!, writes[i]!];
  }
  const again = writes
    .filter(() => random() < 0.1)
    .map((point) => ({
      ...point,
      metrics: { ...metricsOf({ value: 0 }, point.ts), energy: 5 },
    }));
  const all = [...writes, ...again];
  const batches: TelemetryPoint[][] = [];
  for (let i = 0; i < all.length;) {
    const size = 1 + Math.floor(random() * 80);
    batches.push(all.slice(i, i + size));
    i += size;
  }
  // Delivered twice, as a consumer does after a crash before its commit.
  for (const batch of batches.filter(() => random() < 0.1)) batches.push(batch);
  return batches;
}

const batchesOf = { [ORG]: writesOf(ORG), [OTHER]: writesOf(OTHER) };

/** Per device and metric, each time's value as last written, replayed in write order. */
function lastWritten(batches: TelemetryPoint[][]) {
  const values = new Map<string, Map<string, Map<number, MetricValue>>>();
  for (const point of batches.flat()) {
    let byMetric = values.get(point.deviceId);
    if (!byMetric) values.set(point.deviceId, (byMetric = new Map()));
    for (const [metric, value] of Object.entries(point.metrics)) {
      let byTime = byMetric.get(metric);
      if (!byTime) byMetric.set(metric, (byTime = new Map()));
      byTime.set(point.ts, value);
    }
  }
  return values;
}

const truth = lastWritten(batchesOf[ORG]);

/** The buckets the points of `devices`, pooled, must give. */
function expected(
  devices: readonly string[],
  every: number,
  aggregates: readonly Aggregate[],
  range: ReferenceRange,
  metrics = METRICS,
): Bucket[] {
  const samplesByMetric = metrics.map(
    (metric) =>
      [
        metric,
        devices.flatMap((device) =>
          [...(truth.get(device)?.get(metric) ?? [])].map(([ts, value]) => ({ ts, value, device })),
        ),
      ] as const,
  );
  return referenceMetricBuckets(samplesByMetric, every, 0, aggregates, range);
}

const WHOLE = { from: T0, to: T0 + SPAN };
/** Cuts its first and last buckets; a counter's first step may come from before it. */
const CUT = { from: T0 + 7 * MINUTE + 13_005, to: T0 + 161 * MINUTE + 1, counterFrom: T0 };

function ask(
  store: TelemetryStore,
  every: number,
  range: ReferenceRange,
  aggregates = DERIVABLE,
  deviceIds: readonly string[] = DEVICES,
  metrics = METRICS,
) {
  return store.aggregateDevices({
    orgId: ORG,
    deviceIds,
    metrics,
    every,
    origin: 0,
    aggregates,
    ...range,
  });
}

function askGroups(
  store: TelemetryStore,
  every: number,
  range: ReferenceRange,
  aggregates = POOLED,
  metrics = METRICS,
) {
  return store.aggregateGroups({
    orgId: ORG,
    groups: [
      { key: 'g1', deviceIds: ['d1', 'd2'] },
      { key: 'g2', deviceIds: ['d3'] },
    ],
    metrics,
    every,
    origin: 0,
    aggregates,
    ...range,
  });
}

/** Every device's and group's answer, for every window and set of aggregates, against the points'. */
async function expectEveryWindow(store: TelemetryStore, range: ReferenceRange) {
  for (const every of WINDOWS) {
    for (const aggregates of [DERIVABLE, ...SUBSETS]) {
      const asked = `every ${every}, ${aggregates.join(' ')}`;
      for (const metrics of [METRICS, NUMBERS_ONLY]) {
        const devices = await ask(store, every, range, aggregates, DEVICES, metrics);
        for (const device of DEVICES) {
          expect(devices.get(device), `${device} ${metrics} ${asked}`).toEqual(
            expected([device], every, aggregates, range, metrics),
          );
        }
      }
      if (aggregates === DERIVABLE) {
        // A device asked alone (DuckDB reads its rows by equality, not from a list).
        for (const device of DEVICES) {
          const alone = await ask(store, every, range, aggregates, [device]);
          expect([...alone.keys()], `${device} alone ${asked}`).toEqual([device]);
          expect(alone.get(device), `${device} alone ${asked}`).toEqual(
            expected([device], every, aggregates, range),
          );
        }
      }
      const pooled = POOLED.filter((name) => aggregates.includes(name));
      if (pooled.length === 0) continue;
      for (const metrics of [METRICS, NUMBERS_ONLY]) {
        const groups = await askGroups(store, every, range, pooled, metrics);
        expect(groups.get('g1'), `g1 ${metrics} ${asked}`).toEqual(
          expected(['d1', 'd2'], every, pooled, range, metrics),
        );
        expect(groups.get('g2'), `g2 ${metrics} ${asked}`).toEqual(
          expected(['d3'], every, pooled, range, metrics),
        );
      }
    }
  }
}

function describeRollups(name: string, open: () => Promise<OpenedStore>) {
  describe(`rollups: ${name}`, () => {
    let opened: OpenedStore;
    beforeAll(async () => {
      opened = await open();
      // The two organizations' batches interleaved: the same device ids in both. A dashboard
      // reads now and then meanwhile, so rollups are made (and, on DuckDB, settled) in many
      // steps, and later batches rewrite buckets whose rows were made before.
      const [ours, theirs] = [batchesOf[ORG], batchesOf[OTHER]];
      for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
        for (const batch of [ours[i], theirs[i]]) {
          if (batch) expect(await opened.store.write(batch)).toEqual({ rejected: [] });
        }
        if (i % 10 === 9) await ask(opened.store, HOUR, WHOLE, ['count']);
      }
    }, 120_000);
    afterAll(() => opened?.close());

    it('answers every derivable aggregate as the points do, over whole buckets', async () => {
      await expectEveryWindow(opened.store, WHOLE);
    });

    it('answers ranges that cut their first and last buckets, counters from before', async () => {
      await expectEveryWindow(opened.store, CUT);
    });

    // InfluxDB's totals path, which only that store has: declared for it alone.
    if (name === 'influx')
      it('adds up rows of numbers in InfluxDB, and leaves buckets holding more to the rows', async () => {
        const http = createInfluxHttp(opened.influx!);
        const read = (
          metrics: string[],
          aggregates: Aggregate[],
          seriesOf: Map<string, string> = new Map(DEVICES.map((device) => [device, device])),
        ) =>
          aggregateFromRollupTotals(http, {
            orgId: ORG,
            metrics,
            grain: 5 * MINUTE,
            seriesOf,
            every: 15 * MINUTE,
            origin: 0,
            aggregates,
            counterFrom: WHOLE.from,
            ...WHOLE,
          });
        const totals = [...TOTALS_AGGREGATES];
        const byDevice = await read(NUMBERS_ONLY, totals);
        for (const device of DEVICES) {
          expect(byDevice?.get(device), device).toEqual(
            expected([device], 15 * MINUTE, totals, WHOLE, NUMBERS_ONLY),
          );
        }
        const groups = new Map([
          ['d1', 'g1'],
          ['d2', 'g1'],
          ['d3', 'g2'],
        ]);
        const pooled = await read(NUMBERS_ONLY, totals, groups);
        expect(pooled?.get('g1')).toEqual(
          expected(['d1', 'd2'], 15 * MINUTE, totals, WHOLE, NUMBERS_ONLY),
        );
        expect(pooled?.get('g2')).toEqual(
          expected(['d3'], 15 * MINUTE, totals, WHOLE, NUMBERS_ONLY),
        );
        // Strings in some of its rows, and an aggregate the totals do not hold.
        expect(await read(['mixed'], ['count'])).toBeUndefined();
        expect(await read(NUMBERS_ONLY, ['mean', 'stddev'])).toBeUndefined();
      });

    it('keeps answering whole buckets from the rollups once the points are deleted', async () => {
      const { store } = opened;
      await store.deleteBefore(T0 + SPAN + 2 * HOUR);
      const raw = { orgId: ORG, deviceId: 'd1', metrics: [], limit: 10, ...WHOLE };
      expect(await store.raw(raw)).toEqual([]);
      // A percentile needs the points: gone.
      expect(await ask(store, HOUR, WHOLE, ['p50'])).toEqual(new Map());
      await expectEveryWindow(store, WHOLE);
    });

    it("forgets one organization's rollups, and no other's", async () => {
      const { store } = opened;
      await store.deleteRollupsBefore(T0 + SPAN, OTHER);
      const theirs = await store.aggregateDevices({
        orgId: OTHER,
        deviceIds: DEVICES,
        metrics: METRICS,
        every: HOUR,
        origin: 0,
        aggregates: DERIVABLE,
        ...WHOLE,
      });
      expect(theirs).toEqual(new Map());
      const ours = await ask(store, HOUR, WHOLE);
      for (const device of DEVICES) {
        expect(ours.get(device)).toEqual(expected([device], HOUR, DERIVABLE, WHOLE));
      }
    });

    it('forgets the rollups older than their own retention', async () => {
      const { store } = opened;
      await store.deleteRollupsBefore(T0 + 2 * HOUR);
      const kept = { from: T0 + 2 * HOUR, to: T0 + SPAN };
      const answer = await ask(store, HOUR, WHOLE);
      expect(answer.get('d1')).toEqual(expected(['d1'], HOUR, DERIVABLE, kept));
      await store.deleteRollupsBefore(T0 + SPAN);
      expect(await ask(store, HOUR, WHOLE)).toEqual(new Map());
    });
  });
}

describeOnBothStores(describeRollups, { shardDuration: '1h' });

// Settled rows (duckdb-rollup-sql.ts) moved a few dozen at a time: every read meets rows in both
// tables, and rewritten buckets are deleted from either.
describeRollups('duckdb, settling often', () => openDuckDbOnDisk({ rollupSettleRows: 40 }));

describe('rollups: duckdb after a crash', () => {
  it('recomputes, at the next open, the buckets written since the last refresh', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'rollups-crash-'));
    const file = path.join(directory, 'telemetry.duckdb');
    const crashed = path.join(directory, 'crashed.duckdb');
    // No refresh on its own, and no read to ask for one: every batch's rollups are pending.
    const before = await createDuckDbTelemetryStore({ path: file, rollupRefreshMs: 1e9 });
    let after: TelemetryStore | undefined;
    try {
      for (const batch of batchesOf[ORG]) await before.write(batch);
      // The files as a crash leaves them: the committed batches in the write-ahead log.
      await cp(file, crashed);
      await cp(`${file}.wal`, `${crashed}.wal`).catch(() => undefined);
      after = await createDuckDbTelemetryStore({ path: crashed, rollupRefreshMs: 1e9 });
      await expectEveryWindow(after, WHOLE);
      // The answers come from the rollups, not from the points.
      await after.deleteBefore(T0 + SPAN + 2 * HOUR);
      await expectEveryWindow(after, WHOLE);
    } finally {
      await after?.close();
      await before.close();
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * Rollup tables as a version before the exact sums' columns wrote them (every part in `parts`),
 * made from the current tables of a closed store file.
 */
async function downgradeRollupLayout(file: string) {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    for (const table of ['telemetry_rollup', 'telemetry_rollup_fresh']) {
      await connection.run(`
        ALTER TABLE ${table} RENAME TO ${table}_now;
        CREATE TABLE ${table} AS SELECT
          * EXCLUDE (device_key, k, s_hi, s_lo, q2, q1, q0, parts, first_num, last_num, steps),
          coalesce(parts, CASE WHEN k IS NOT NULL THEN [{'k': k,
            's': s_hi::HUGEINT * 9223372036854775808::HUGEINT + s_lo,
            'q2': q2, 'q1': q1, 'q0': q0}] END) AS parts,
          first_num, last_num, steps
        FROM ${table}_now;
        DROP TABLE ${table}_now;`);
    }
    const columns = await connection.runAndReadAll(
      "SELECT count(*) FROM duckdb_columns() WHERE column_name IN ('s_hi', 'device_key')",
    );
    expect(columns.getRowsJS()).toEqual([[0n]]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('rollups: duckdb written by an earlier layout', () => {
  it('converts them at open, so answers stay exact once the points are gone', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'rollups-layout-'));
    const file = path.join(directory, 'telemetry.duckdb');
    let store: TelemetryStore | undefined;
    try {
      // Settling often: rows in both tables.
      store = await createDuckDbTelemetryStore({ path: file, rollupSettleRows: 40 });
      for (const [i, batch] of batchesOf[ORG].entries()) {
        await store.write(batch);
        if (i % 10 === 9) await ask(store, HOUR, WHOLE, ['count']);
      }
      await store.close();
      await downgradeRollupLayout(file);
      store = await createDuckDbTelemetryStore({ path: file });
      // Converted, not recomputed: the answers hold with the points deleted.
      await store.deleteBefore(T0 + SPAN + 2 * HOUR);
      await expectEveryWindow(store, WHOLE);
    } finally {
      await store?.close();
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);
});
