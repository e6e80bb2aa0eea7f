/**
 * Keeps InfluxDB's rollups (rollup-plan.ts) in step with the points, after each write: the rows of
 * every (device, metric, bucket) the stored points of the batch fall in are made from what
 * InfluxDB holds, never from the batch itself, so a batch written twice, a duplicate (same device
 * and time: InfluxDB keeps the last value of each metric), a late or an out-of-order point leave
 * the rows equal to the stored points' own aggregates, and points InfluxDB refused count nowhere.
 *
 * Most series only move forward: their rows are extended with their new stored points
 * (influx-rollup-append.ts), from one read of the rows and of the points since the batch's
 * earliest. The others are computed again (organizationRollups): the finest rows from every point
 * of their touched minutes, each coarser grain's from the stored rows of the grain below, read in
 * a second query. One write stores every row. A row written again replaces the older one whole
 * (influx-rollup-fields.ts). Two writes of the same device at once could let the earlier read's
 * rows land last; the pipeline never does that (Kafka keys points by device and hands each
 * partition's batches over one at a time).
 */
import {
  groupByOrganization,
  type MetricValue,
  type TelemetryPoint,
} from '../../domain/telemetry.js';
import { bucketStart } from '../../domain/bucket-grid.js';
import { pipelineRollupSeries } from '../../metrics/pipeline-metrics.js';
import type { createInfluxHttp, InfluxSeries } from './influx-http.js';
import { QueryParams } from './influx-layout.js';
import { appendRollups } from './influx-rollup-append.js';
import { writeOwnLines } from './influx-line-writer.js';
import { rowLine } from './influx-rollup-fields.js';
import { addValue, appendRow, emptyRow } from './influx-rollup-rows.js';
import { ROLLUP_GRAINS } from '../../domain/rollups.js';
import {
  clusterReads,
  clustersOf,
  seriesKey,
  seriesOf,
  takeRows,
  touchedBy,
  type Level,
  type PointColumn,
} from './influx-rollup-touched.js';

const [FINEST, ...COARSER] = ROLLUP_GRAINS;
/** Each coarser grain with the grain its rows are made of. */
const LEVELS = COARSER.map((grain, i) => ({ grain, finer: ROLLUP_GRAINS[i]! }));

/**
 * Rows of `grain` from the rows of the grain below (`finer`, in any order), for the buckets in
 * `wanted` (per series, their starts) only.
 */
function coarsen(
  finer: Level,
  grain: number,
  wanted: ReadonlyMap<string, ReadonlySet<number>>,
): Level {
  const coarser: Level = new Map();
  for (const [key, { deviceId, metric, rows }] of finer) {
    const buckets = wanted.get(key);
    if (!buckets) continue;
    for (const start of [...rows.keys()].sort((a, b) => a - b)) {
      const bucket = bucketStart(start, grain, 0);
      if (!buckets.has(bucket)) continue;
      const series = seriesOf(coarser, deviceId, metric);
      let row = series.rows.get(bucket);
      if (!row) series.rows.set(bucket, (row = emptyRow(bucket)));
      appendRow(row, rows.get(start)!);
    }
  }
  return coarser;
}

/** The rows of `stored`, each replaced by the row of `fresh` with the same key, if any. */
function overlay(stored: Level | undefined, fresh: Level): Level {
  const merged: Level = new Map();
  for (const level of stored ? [stored, fresh] : [fresh]) {
    for (const { deviceId, metric, rows } of level.values()) {
      const series = seriesOf(merged, deviceId, metric);
      for (const [start, row] of rows) series.rows.set(start, row);
    }
  }
  return merged;
}

/** The statements one organization's rollups need read, and the rows they make. */
function organizationRollups(orgId: string, points: readonly TelemetryPoint[]) {
  const touched = touchedBy(points);
  const fresh = new Map<number, Level>([[FINEST, new Map()]]);
  /** The stored rows read, per grain a coarser one is made of. */
  const stored = new Map<number, Level>(LEVELS.map(({ finer }) => [finer, new Map()]));

  /** The points of one statement's series (a device's), in time order, into the finest rows. */
  function takePoints(series: InfluxSeries, columns: readonly PointColumn[]) {
    const deviceId = series.tags?.device_id;
    if (deviceId === undefined) return;
    for (const values of series.values) {
      const ts = Number(values[0]);
      const minute = bucketStart(ts, FINEST, 0);
      const entry = touched.get(`${deviceId}\u0000${minute}`);
      if (!entry) continue;
      for (let position = 1; position < values.length; position++) {
        const value = values[position];
        const { metric } = columns[position - 1]!;
        if (value === null || value === undefined || !entry.metrics.has(metric)) continue;
        const rows = seriesOf(fresh.get(FINEST)!, deviceId, metric).rows;
        let row = rows.get(minute);
        if (!row) rows.set(minute, (row = emptyRow(minute)));
        addValue(row, ts, value as MetricValue);
      }
    }
  }

  return {
    /** Adds the statements to read, each with what takes its series. */
    read(params: QueryParams, add: (statement: string, take: (s: InfluxSeries) => void) => void) {
      for (const cluster of clustersOf(touched.values())) {
        const reads = clusterReads(orgId, cluster, params);
        const { statement, columns } = reads.points();
        add(statement, (series) => takePoints(series, columns));
        for (const { grain, finer } of LEVELS) {
          add(reads.rows(finer, grain), (series) => takeRows(stored.get(finer)!, series));
        }
      }
    },

    /** Once read: every touched row of every grain, as line protocol, and how many series. */
    lines(): { lines: string[]; series: number } {
      for (const { grain, finer } of LEVELS) {
        const wanted = new Map<string, Set<number>>();
        for (const { deviceId, minute, metrics } of touched.values()) {
          const bucket = bucketStart(minute, grain, 0);
          for (const metric of metrics.keys()) {
            const key = seriesKey(deviceId, metric);
            const buckets = wanted.get(key);
            if (buckets) buckets.add(bucket);
            else wanted.set(key, new Set([bucket]));
          }
        }
        fresh.set(grain, coarsen(overlay(stored.get(finer), fresh.get(finer)!), grain, wanted));
      }
      const lines: string[] = [];
      for (const [grain, level] of fresh) {
        for (const { deviceId, metric, rows } of level.values()) {
          for (const row of rows.values()) lines.push(rowLine(orgId, grain, deviceId, metric, row));
        }
      }
      return { lines, series: fresh.get(FINEST)!.size };
    },
  };
}

interface RollupReader {
  read(
    params: QueryParams,
    add: (statement: string, take: (s: InfluxSeries) => void) => void,
  ): void;
}

/** One query for every statement the readers add, each series handed to its statement's taker. */
async function readAll(http: ReturnType<typeof createInfluxHttp>, readers: RollupReader[]) {
  const params = new QueryParams();
  const statements: string[] = [];
  const takers: ((series: InfluxSeries) => void)[] = [];
  for (const reader of readers) {
    reader.read(params, (statement, take) => {
      statements.push(statement);
      takers.push(take);
    });
  }
  if (statements.length === 0) return;
  await http.queryEach(statements.join('; '), params.values, (statement, series) =>
    takers[statement]!(series),
  );
}

/**
 * Brings the rollup rows of everything the stored points of a write fall in (the batch without
 * the points InfluxDB refused) up to date: one query, a second only for series that need their
 * rows computed again, one write.
 */
export async function updateRollups(
  http: ReturnType<typeof createInfluxHttp>,
  points: readonly TelemetryPoint[],
): Promise<void> {
  const appending = [...groupByOrganization(points)].map(([orgId, own]) => ({
    orgId,
    upkeep: appendRollups(orgId, own),
  }));
  await readAll(
    http,
    appending.map(({ upkeep }) => upkeep),
  );
  const lines: string[] = [];
  const recomputing: ReturnType<typeof organizationRollups>[] = [];
  let appended = 0;
  for (const { orgId, upkeep } of appending) {
    const settled = upkeep.settle();
    for (const line of settled.lines) lines.push(line);
    appended += settled.appended;
    if (settled.recompute.length > 0) {
      recomputing.push(organizationRollups(orgId, settled.recompute));
    }
  }
  await readAll(http, recomputing);
  let recomputed = 0;
  for (const organization of recomputing) {
    const own = organization.lines();
    for (const line of own.lines) lines.push(line);
    recomputed += own.series;
  }
  await writeOwnLines(http, lines);
  pipelineRollupSeries.inc({ upkeep: 'appended' }, appended);
  pipelineRollupSeries.inc({ upkeep: 'recomputed' }, recomputed);
}
