/**
 * The InfluxDB store's rollups in memory, without InfluxDB: rows built from points, coarser rows
 * from finer ones, rows through their stored fields and back, and a question's buckets folded
 * from rows, each against what the points themselves give (test/support/reference-aggregates.ts).
 * test/contract/telemetry-store.rollups.test.ts checks the same through a real InfluxDB.
 */
import { ROLLUP_AGGREGATES } from '../../domain/rollups.js';
import { describe, expect, it } from 'vitest';
import type { Aggregate, Bucket, MetricValue } from '../../domain/telemetry.js';
import {
  referenceMetricBuckets,
  type ReferenceRange,
} from '../../../test/support/reference-aggregates.js';
import { seededRandom } from '../../../test/support/seeded-random.js';
import { bucketStart } from '../../domain/bucket-grid.js';
import { createRollupBuckets } from './influx-rollup-buckets.js';
import { rowFields, rowOf } from './influx-rollup-fields.js';
import { addValue, appendRow, emptyRow, type RollupRow } from './influx-rollup-rows.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 2, 2);
const DEVICES = ['d1', 'd2', 'd3'];
const METRICS = ['counter', 'flag', 'mixed', 'reading', 'state'];
/** Every aggregate a rollup answers (all of them: a new one is tested here as it comes). */
const ALL: Aggregate[] = [...ROLLUP_AGGREGATES];
const POOLED = ALL.filter((name) => name !== 'first' && name !== 'last');

interface Sample {
  device: string;
  ts: number;
  value: MetricValue;
}

const random = seededRandom(20_261_205);

/** Per metric, each device's values at distinct times over three hours, in time order. */
function samplesOf(): Map<string, Sample[]> {
  const byMetric = new Map<string, Sample[]>(METRICS.map((metric) => [metric, []]));
  for (const device of DEVICES) {
    const times = new Set<number>();
    while (times.size < 400) times.add(T0 + Math.floor(random() * 3 * HOUR));
    let counter = 0;
    for (const ts of [...times].sort((a, b) => a - b)) {
      counter = random() < 0.05 ? random() * 3 : counter + random() * 7.3;
      const values: Record<string, MetricValue> = {
        counter,
        reading: (random() - 0.3) * 10 ** Math.floor(random() * 9 - 3),
      };
      if (random() < 0.4) values.flag = random() < 0.5;
      if (random() < 0.2) values.state = random() < 0.5 ? 'idle' : 'run, "on"';
      if (random() < 0.5) values.mixed = random() < 0.7 ? Math.round(random() * 100) / 8 : 'n/a';
      for (const [metric, value] of Object.entries(values)) {
        byMetric.get(metric)!.push({ device, ts, value });
      }
    }
  }
  return byMetric;
}

const samples = samplesOf();

/** One device's metric's rows of `grain`, from its samples. */
function rowsFromSamples(device: string, metric: string, grain: number): RollupRow[] {
  const rows = new Map<number, RollupRow>();
  for (const { ts, value } of samples.get(metric)!.filter((s) => s.device === device)) {
    const start = bucketStart(ts, grain, 0);
    let row = rows.get(start);
    if (!row) rows.set(start, (row = emptyRow(start)));
    addValue(row, ts, value);
  }
  return [...rows.values()];
}

/** Rows of `grain` put together from finer rows in time order. */
function coarser(rows: readonly RollupRow[], grain: number): RollupRow[] {
  const result = new Map<number, RollupRow>();
  for (const row of rows) {
    const start = bucketStart(row.start, grain, 0);
    let into = result.get(start);
    if (!into) result.set(start, (into = emptyRow(start)));
    appendRow(into, row);
  }
  return [...result.values()];
}

/** What a row answers with, its exact sums as their values: equal rows give equal answers. */
const answersOf = (row: RollupRow) => ({
  ...row,
  moments: [row.moments.count, row.moments.sumValue(), row.moments.stddev()],
  counter: row.counter && { ...row.counter, steps: row.counter.steps.value() },
});

describe('InfluxDB rollup rows', () => {
  it('put together from finer rows, equal the rows of the points, through their fields too', () => {
    for (const device of DEVICES) {
      for (const metric of METRICS) {
        const minutes = rowsFromSamples(device, metric, MINUTE);
        const fives = coarser(minutes, 5 * MINUTE);
        for (const [rows, grain] of [
          [fives, 5 * MINUTE],
          [coarser(fives, HOUR), HOUR],
          [coarser(minutes, HOUR), HOUR],
        ] as const) {
          expect(rows.map(answersOf)).toEqual(
            rowsFromSamples(device, metric, grain).map(answersOf),
          );
        }
        for (const row of [...minutes, ...fives]) {
          expect(answersOf(rowOf([row.start, ...rowFields(row)]))).toEqual(answersOf(row));
        }
      }
    }
  });
});

/** The buckets the samples of `devices`, pooled, must give. */
function expected(
  devices: readonly string[],
  every: number,
  origin: number,
  aggregates: readonly Aggregate[],
  range: ReferenceRange,
): Bucket[] {
  const samplesByMetric = METRICS.map(
    (metric) =>
      [metric, samples.get(metric)!.filter((sample) => devices.includes(sample.device))] as const,
  );
  return referenceMetricBuckets(samplesByMetric, every, origin, aggregates, range);
}

describe('a question answered from InfluxDB rollup rows', () => {
  /**
   * What influx-rollup-reader.ts does, with rows from memory: each device's metric's last row
   * with numbers before the range (back to counterFrom's row) lends its last number, then the
   * rows in the range, in time order.
   */
  function answer(
    grain: number,
    question: { from: number; to: number; every: number; origin: number; counterFrom: number },
    aggregates: readonly Aggregate[],
    seriesOf: ReadonlyMap<string, string>,
  ) {
    const buckets = createRollupBuckets({ ...question, aggregates }, (id) => seriesOf.get(id));
    const since = bucketStart(question.counterFrom, grain, 0);
    for (const device of seriesOf.keys()) {
      for (const metric of METRICS) {
        const rows = rowsFromSamples(device, metric, grain);
        const before = rows.filter((r) => r.start >= since && r.start < question.from);
        const counter = before.filter((r) => r.numbers > 0).at(-1)?.counter;
        if (counter) buckets.lend(device, metric, { last: counter.last, lastTs: counter.lastTs });
        for (const row of rows) {
          if (row.start >= question.from && row.start < question.to)
            buckets.add(device, metric, row);
        }
      }
    }
    return buckets.buckets();
  }

  it('gives each device and each group the buckets of their points, to the last bit', () => {
    const cases = [
      { grain: MINUTE, every: MINUTE, origin: 0 },
      { grain: MINUTE, every: 7 * MINUTE, origin: 3 * MINUTE },
      { grain: 5 * MINUTE, every: 15 * MINUTE, origin: 0 },
      { grain: 5 * MINUTE, every: 5 * MINUTE, origin: -10 * MINUTE },
      { grain: HOUR, every: HOUR, origin: 0 },
      { grain: HOUR, every: 3 * HOUR, origin: 0 },
    ];
    for (const { grain, every, origin } of cases) {
      // Whole buckets, from past the first points, but at least one.
      const to = bucketStart(T0 + 3 * HOUR, every, origin);
      const from = Math.min(bucketStart(T0 + 17 * MINUTE, every, origin) + every, to - every);
      // Within the row before the range too, where its last number may lie before counterFrom.
      for (const counterFrom of [from, from - 1, from - grain / 2, from - 43 * MINUTE, T0 - HOUR]) {
        const question = { from, to, every, origin, counterFrom };
        const range = { from, to, counterFrom };
        const label = JSON.stringify({ grain, ...question });
        const devices = answer(grain, question, ALL, new Map(DEVICES.map((d) => [d, d])));
        for (const device of DEVICES) {
          expect(devices.get(device), `${device} ${label}`).toEqual(
            expected([device], every, origin, ALL, range),
          );
        }
        const groupOf = new Map([
          ['d1', 'g1'],
          ['d2', 'g1'],
          ['d3', 'g2'],
        ]);
        const groups = answer(grain, question, POOLED, groupOf);
        expect(groups.get('g1'), `g1 ${label}`).toEqual(
          expected(['d1', 'd2'], every, origin, POOLED, range),
        );
        expect(groups.get('g2'), `g2 ${label}`).toEqual(
          expected(['d3'], every, origin, POOLED, range),
        );
      }
    }
  });
});
