/**
 * The rollup upkeep's common case (influx-rollup-writer.ts): a series (one device's metric) whose
 * points in the batch all come after everything its stored rows hold. Each of its touched rows, of
 * every grain, is then the stored row (or a new one) with the stored points after that row's last
 * added in time order. That is the very row a recomputation gives: counts, MIN, MAX and the ends
 * merge, the exact sums add up in any order, and a counter's steps run on from the row's last
 * number (influx-rollup-rows.ts addValue). It reads one row per grain and the points from the
 * batch's earliest on, instead of every point of the touched minutes and every finer row of the
 * coarser buckets: a device sending many points a minute had its whole minute read again by every
 * batch, which cost the pipeline more than the points' own write (CPU profile of
 * `bench/live-freshness.ts --target production` at 10,000 points/s).
 *
 * What it relies on: every stored point of the series before the batch is in its rows. The
 * pipeline keeps that true: it acknowledges a batch only once its rows are written, and a batch
 * not acknowledged comes again whole (Kafka resends from the last committed offset). A series
 * whose rows are not in that shape is left to the recomputation, which reads everything again:
 * - a row whose last point is at or after the batch's earliest point of the series (a duplicate,
 *   a late or out-of-order point, a batch written again after its rows were);
 * - a finer row without its coarser one, or a coarser row holding points of a bucket whose own
 *   row is missing (a write of rows cut short).
 */
import type { MetricValue, TelemetryPoint } from '../../domain/telemetry.js';
import { bucketStart } from '../../domain/bucket-grid.js';
import { ROLLUP_GRAINS } from '../../domain/rollups.js';
import type { InfluxSeries } from './influx-http.js';
import type { QueryParams } from './influx-layout.js';
import { rowLine } from './influx-rollup-fields.js';
import { addValue, emptyRow, type RollupRow } from './influx-rollup-rows.js';
import {
  FINEST_GRAIN,
  clusterReads,
  clustersOf,
  seriesKey,
  takeRows,
  touchedBy,
  type Level,
  type PointColumn,
} from './influx-rollup-touched.js';

/** One series of the batch: its earliest point and the minutes it touches. */
interface SeriesInBatch {
  deviceId: string;
  metric: string;
  earliest: number;
  minutes: Set<number>;
}

interface StoredValue {
  ts: number;
  value: MetricValue;
}

const COARSEST_FIRST = [...ROLLUP_GRAINS].reverse();

function seriesInBatch(points: readonly TelemetryPoint[]): Map<string, SeriesInBatch> {
  const batch = new Map<string, SeriesInBatch>();
  for (const { deviceId, ts, metrics } of points) {
    const minute = bucketStart(ts, FINEST_GRAIN, 0);
    for (const metric of Object.keys(metrics)) {
      const key = seriesKey(deviceId, metric);
      const series = batch.get(key);
      if (!series) batch.set(key, { deviceId, metric, earliest: ts, minutes: new Set([minute]) });
      else {
        if (ts < series.earliest) series.earliest = ts;
        series.minutes.add(minute);
      }
    }
  }
  return batch;
}

/** The points' metrics of the series in `keys` only (the points without any, left out). */
function restrictedTo(points: readonly TelemetryPoint[], keys: ReadonlySet<string>) {
  const result: TelemetryPoint[] = [];
  if (keys.size === 0) return result;
  for (const point of points) {
    const entries = Object.entries(point.metrics);
    const kept = entries.filter(([metric]) => keys.has(seriesKey(point.deviceId, metric)));
    if (kept.length === entries.length) result.push(point);
    else if (kept.length > 0) result.push({ ...point, metrics: Object.fromEntries(kept) });
  }
  return result;
}

/** One organization's batch: the statements to read, then the rows extended and what is left. */
export function appendRollups(orgId: string, points: readonly TelemetryPoint[]) {
  const batch = seriesInBatch(points);
  /** Per grain, the stored rows read. */
  const stored = new Map<number, Level>(ROLLUP_GRAINS.map((grain) => [grain, new Map()]));
  /** Per series, its stored points read, in time order. */
  const read = new Map<string, StoredValue[]>();

  function takePoints(series: InfluxSeries, columns: readonly PointColumn[]) {
    const deviceId = series.tags?.device_id;
    if (deviceId === undefined) return;
    for (const values of series.values) {
      const ts = Number(values[0]);
      for (let position = 1; position < values.length; position++) {
        const value = values[position];
        if (value === null || value === undefined) continue;
        const key = seriesKey(deviceId, columns[position - 1]!.metric);
        if (!batch.has(key)) continue;
        let own = read.get(key);
        if (!own) read.set(key, (own = []));
        own.push({ ts, value: value as MetricValue });
      }
    }
  }

  /** Whether the series' rows over `minute`, of every grain, are in the shape appending needs. */
  function inShape(key: string, earliest: number, minute: number): boolean {
    // The row of the grain above this one's (none above the coarsest grain's).
    let coarser: RollupRow | undefined | 'none above' = 'none above';
    for (const grain of COARSEST_FIRST) {
      const bucket = bucketStart(minute, grain, 0);
      const row = stored.get(grain)!.get(key)?.rows.get(bucket);
      if (row) {
        // A row without the coarser row it is part of: a write of rows cut short.
        if (coarser === undefined) return false;
        // The batch does not only add points after the row's last: a duplicate, a late point.
        if (row.last === undefined || row.last.ts >= earliest) return false;
      } else if (coarser !== 'none above' && coarser && coarser.last!.ts >= bucket) {
        // The coarser row holds points of this bucket, whose own row is missing.
        return false;
      }
      coarser = row;
    }
    return true;
  }

  /** The series' touched rows of every grain with its new points, or undefined if not in shape. */
  function extended(key: string, series: SeriesInBatch): [number, RollupRow][] | undefined {
    for (const minute of series.minutes) {
      if (!inShape(key, series.earliest, minute)) return undefined;
    }
    const values = read.get(key) ?? [];
    const rows: [number, RollupRow][] = [];
    for (const grain of ROLLUP_GRAINS) {
      const buckets = new Set([...series.minutes].map((minute) => bucketStart(minute, grain, 0)));
      for (const bucket of buckets) {
        const row = stored.get(grain)!.get(key)?.rows.get(bucket) ?? emptyRow(bucket);
        const after = row.last?.ts ?? -Infinity;
        for (const { ts, value } of values) {
          if (ts <= after || ts < bucket || ts >= bucket + grain) continue;
          if (series.minutes.has(bucketStart(ts, FINEST_GRAIN, 0))) addValue(row, ts, value);
        }
        if (row.last !== undefined) rows.push([grain, row]);
      }
    }
    return rows;
  }

  return {
    /**
     * Adds the statements to read, each with what takes its series: per cluster of touched
     * minutes, its stored points from the batch's earliest, and its rows of every grain.
     */
    read(params: QueryParams, add: (statement: string, take: (s: InfluxSeries) => void) => void) {
      for (const cluster of clustersOf(touchedBy(points).values())) {
        const reads = clusterReads(orgId, cluster, params);
        const { statement, columns } = reads.points(cluster.earliest);
        add(statement, (series) => takePoints(series, columns));
        for (const grain of ROLLUP_GRAINS) {
          add(reads.rows(grain), (series) => takeRows(stored.get(grain)!, series));
        }
      }
    },

    /**
     * Once read: the line protocol of every row extended, the number of series extended, and
     * the batch's points of the other series, for the recomputation.
     */
    settle(): { lines: string[]; appended: number; recompute: TelemetryPoint[] } {
      const lines: string[] = [];
      const notInShape = new Set<string>();
      for (const [key, series] of batch) {
        const rows = extended(key, series);
        if (!rows) notInShape.add(key);
        else {
          for (const [grain, row] of rows) {
            lines.push(rowLine(orgId, grain, series.deviceId, series.metric, row));
          }
        }
      }
      return {
        lines,
        appended: batch.size - notInShape.size,
        recompute: restrictedTo(points, notInShape),
      };
    },
  };
}
