/**
 * InfluxDB's rollup upkeep (influx-rollup-writer.ts, influx-rollup-append.ts) through a real
 * InfluxDB: whatever the batches, in order or with duplicates and late points, the stored rows of
 * every grain are the rows of the points InfluxDB holds; series that only move forward are
 * extended, and the others computed again.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupMeasurementOf } from '../../src/adapters/telemetry-store/influx-layout.js';
import {
  ROW_SELECTION,
  rowFields,
  rowOf,
} from '../../src/adapters/telemetry-store/influx-rollup-fields.js';
import {
  addValue,
  emptyRow,
  type RollupRow,
} from '../../src/adapters/telemetry-store/influx-rollup-rows.js';
import { createInfluxTelemetryStore } from '../../src/adapters/telemetry-store/influx-telemetry-store.js';
import { bucketStart } from '../../src/domain/bucket-grid.js';
import { ROLLUP_GRAINS } from '../../src/domain/rollups.js';
import type { MetricValue, TelemetryPoint } from '../../src/domain/telemetry.js';
import { pipelineRollupSeries } from '../../src/metrics/pipeline-metrics.js';
import { findService, uniqueSuffix } from '../support/services.js';
import { createInfluxTestDatabase } from './influx-test-database.js';

const influxUrl = await findService('influx');
const DEVICES = ['d1', 'd2'];
const METRICS = ['counter', 'reading', 'flag', 'state'];
/** Five minutes before an hour: batches cross minutes, five-minute buckets and the hour. */
const T0 = Date.UTC(2026, 4, 4, 9, 55);

async function seriesCount(upkeep: 'appended' | 'recomputed') {
  const { values } = await pipelineRollupSeries.get();
  return values.find((value) => value.labels.upkeep === upkeep)?.value ?? 0;
}

describe.skipIf(!influxUrl)('InfluxDB rollup upkeep', () => {
  let database: Awaited<ReturnType<typeof createInfluxTestDatabase>>;
  const store = () => createInfluxTelemetryStore({ url: influxUrl!, database: database.name });

  beforeAll(async () => {
    database = await createInfluxTestDatabase(influxUrl!);
  });
  afterAll(() => database.drop());

  /** Every stored row of the organization, per grain, as `device metric start` → its fields. */
  async function storedRows(orgId: string) {
    const rows = new Map<string, string>();
    for (const grain of ROLLUP_GRAINS) {
      const url = new URL('query', `${influxUrl}/`);
      url.searchParams.set('db', database.name);
      url.searchParams.set('epoch', 'ms');
      url.searchParams.set(
        'q',
        `SELECT ${ROW_SELECTION} FROM "${rollupMeasurementOf(orgId, grain)}" GROUP BY device_id, metric`,
      );
      const body = (await (await fetch(url)).json()) as {
        results: { series?: { tags: Record<string, string>; values: unknown[][] }[] }[];
      };
      for (const { tags, values } of body.results[0]?.series ?? []) {
        for (const row of values) {
          const parsed = rowOf(row as Parameters<typeof rowOf>[0]);
          rows.set(
            `${grain} ${tags.device_id} ${tags.metric} ${parsed.start}`,
            rowFields(parsed).join('|'),
          );
        }
      }
    }
    return rows;
  }

  /** The rows the points InfluxDB holds make, built one value at a time in time order. */
  async function rowsOfStoredPoints(orgId: string) {
    const rows = new Map<string, RollupRow>();
    for (const deviceId of DEVICES) {
      const points = await store().raw({
        orgId,
        deviceId,
        metrics: [],
        from: T0 - 3_600_000,
        to: T0 + 3_600_000,
        limit: 100_000,
      });
      for (const { ts, metrics } of points) {
        for (const [metric, value] of Object.entries(metrics)) {
          for (const grain of ROLLUP_GRAINS) {
            const start = bucketStart(ts, grain, 0);
            const key = `${grain} ${deviceId} ${metric} ${start}`;
            let row = rows.get(key);
            if (!row) rows.set(key, (row = emptyRow(start)));
            addValue(row, ts, value);
          }
        }
      }
    }
    return new Map([...rows].map(([key, row]) => [key, rowFields(row).join('|')]));
  }

  const metricValue = (metric: string, step: number, seed: number): MetricValue => {
    if (metric === 'counter') return seed % 7 === 0 ? seed % 3 : step * 2.5 + (seed % 5);
    if (metric === 'reading') return (seed % 1_000) / 8 - 40;
    if (metric === 'flag') return seed % 2 === 0;
    return seed % 3 === 0 ? 'idle' : 'run, "on"';
  };

  /**
   * Points at increasing times (gaps of a second to four minutes), each of some metrics, cut into
   * batches; a batch may also send again an earlier point with new values (a duplicate) or one
   * before the previous batch (late).
   */
  const scenario = fc
    .record({
      gaps: fc.array(fc.integer({ min: 1, max: 240 }), { minLength: 4, maxLength: 40 }),
      cuts: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 12 }),
      seeds: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
      resend: fc.array(fc.option(fc.nat({ max: 39 }), { freq: 3 }), { maxLength: 12 }),
    })
    .map(({ gaps, cuts, seeds, resend }) => {
      let ts = T0;
      const points = gaps.map((gap, i): TelemetryPoint & { orgId: '' } => {
        ts += gap * 1_000;
        const seed = seeds[i]!;
        const metrics = Object.fromEntries(
          METRICS.flatMap((metric, m) =>
            m === 0 || (seed >> m) % 2 === 0 ? [[metric, metricValue(metric, i, seed + m)]] : [],
          ),
        );
        return { orgId: '', deviceId: DEVICES[seed % DEVICES.length]!, ts, metrics };
      });
      const batches: (typeof points)[] = [];
      let next = 0;
      for (const [i, size] of cuts.entries()) {
        if (next >= points.length) break;
        const batch = points.slice(next, next + size);
        next += size;
        const again = resend[i];
        if (again !== undefined && again !== null && again < Math.min(next, points.length)) {
          const earlier = points[again]!;
          batch.push({ ...earlier, metrics: { ...earlier.metrics, reading: again * 1.5 } });
        }
        batches.push(batch);
      }
      if (next < points.length) batches.push(points.slice(next));
      return batches;
    });

  it('keeps every grain equal to the rows of the stored points, whatever the batches', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (batches) => {
        const orgId = `org-${uniqueSuffix()}`;
        for (const batch of batches) {
          const { rejected } = await store().write(batch.map((point) => ({ ...point, orgId })));
          expect(rejected).toEqual([]);
        }
        const stored = await storedRows(orgId);
        const expected = await rowsOfStoredPoints(orgId);
        expect(new Map([...stored].sort())).toEqual(new Map([...expected].sort()));
      }),
      { numRuns: 60 },
    );
  });

  it('extends the rows of series moving forward and computes again those sent a point again', async () => {
    const orgId = `org-${uniqueSuffix()}`;
    const point = (deviceId: string, seconds: number, metrics: Record<string, MetricValue>) => ({
      orgId,
      deviceId,
      ts: T0 + seconds * 1_000,
      metrics,
    });
    const appended = await seriesCount('appended');
    const recomputed = await seriesCount('recomputed');
    await store().write([
      point('d1', 10, { counter: 1, reading: 2 }),
      point('d2', 10, { counter: 5 }),
    ]);
    await store().write([point('d1', 20, { counter: 2 }), point('d2', 400, { counter: 7 })]);
    expect(await seriesCount('appended')).toBe(appended + 5);
    expect(await seriesCount('recomputed')).toBe(recomputed);

    // d1's counter at 10 s again (a duplicate, with another value) and d2's before the last of
    // its minute (late): both computed again. d2's first reading is new, and a late point after
    // everything its own buckets hold needs nothing else: both extended.
    await store().write([
      point('d1', 10, { counter: 9 }),
      point('d2', 5, { counter: 3 }),
      point('d2', 500, { reading: 4 }),
      point('d1', 30, { reading: 6 }),
    ]);
    expect(await seriesCount('appended')).toBe(appended + 7);
    expect(await seriesCount('recomputed')).toBe(recomputed + 2);
    expect(await storedRows(orgId)).toEqual(await rowsOfStoredPoints(orgId));
  });

  it('computes again the rows of a write of rows cut short (a grain missing its rows)', async () => {
    const orgId = `org-${uniqueSuffix()}`;
    const write = (seconds: number, counter: number) =>
      store().write([{ orgId, deviceId: 'd1', ts: T0 + seconds * 1_000, metrics: { counter } }]);
    const influxQuery = async (q: string) => {
      const url = new URL('query', `${influxUrl}/`);
      url.searchParams.set('db', database.name);
      url.searchParams.set('q', q);
      const response = await fetch(url, { method: 'POST' });
      expect(response.ok).toBe(true);
      return JSON.stringify(await response.json());
    };
    /**
     * Drops a grain's rows, and waits until a read by tag, as the upkeep's, no longer finds them:
     * InfluxDB 1.x answers DROP MEASUREMENT before every read stops seeing the series.
     */
    const dropRows = async (grain: number) => {
      const measurement = `"${rollupMeasurementOf(orgId, grain)}"`;
      await influxQuery(`DROP MEASUREMENT ${measurement}`);
      await expect
        .poll(() => influxQuery(`SELECT "n_num"::field FROM ${measurement} WHERE device_id = 'd1'`))
        .not.toContain('"series"');
    };
    const [minute, fiveMinutes, hour] = ROLLUP_GRAINS;
    await write(10, 1);
    await write(20, 2);
    const recomputed = await seriesCount('recomputed');

    // The minute row without its five-minute row.
    await dropRows(fiveMinutes);
    await write(30, 3);
    expect(await seriesCount('recomputed')).toBe(recomputed + 1);
    expect(await storedRows(orgId)).toEqual(await rowsOfStoredPoints(orgId));

    // The five-minute row holding points of a minute whose row is gone.
    await dropRows(minute);
    await write(40, 4);
    expect(await seriesCount('recomputed')).toBe(recomputed + 2);
    expect(await storedRows(orgId)).toEqual(await rowsOfStoredPoints(orgId));

    // Finer rows without the hour's.
    await dropRows(hour);
    await write(50, 5);
    expect(await seriesCount('recomputed')).toBe(recomputed + 3);
    expect(await storedRows(orgId)).toEqual(await rowsOfStoredPoints(orgId));
  });
});
