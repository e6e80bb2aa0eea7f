/**
 * Keeps InfluxDB's rollups (rollup-plan.ts) in step with the points, after each write: the rows of
 * every (device, metric, bucket) the stored points of the batch fall in are computed again from
 * what InfluxDB holds, never from the batch itself, so a batch written twice, a duplicate (same
 * device and time: InfluxDB keeps the last value of each metric), a late or an out-of-order point
 * leave the rows equal to the stored points' own aggregates, and points InfluxDB refused count
 * nowhere. The finest rows come from the points, each coarser grain's from the grain below.
 *
 * Two round trips after the points' own write: one query reads, for each cluster of touched minutes, the points of
 * those minutes and the stored rows of the finer grains that the touched coarser buckets are made
 * of; one write stores every row computed. A row written again replaces the older one whole
 * (influx-rollup-fields.ts). Two writes of the same device at once could let the earlier read's
 * rows land last; the pipeline never does that (Kafka keys points by device and hands each
 * partition's batches over one at a time), and the next write of that minute would mend it.
 */
import {
  groupByOrganization,
  valueTypeOf,
  type MetricValue,
  type TelemetryPoint,
  type ValueType,
} from '../../domain/telemetry.js';
import { bucketStart } from '../../domain/bucket-grid.js';
import { typed } from './influx-aggregates.js';
import { quoteIdentifier, type createInfluxHttp, type InfluxSeries } from './influx-http.js';
import {
  DEVICE_TAG,
  METRIC_TAG,
  ORG_TAG,
  QueryParams,
  measurementOf,
  rollupMeasurementOf,
} from './influx-layout.js';
import { writeOwnLines } from './influx-line-writer.js';
import { ROW_SELECTION, rowLine, rowOf } from './influx-rollup-fields.js';
import { addValue, appendRow, emptyRow, type RollupRow } from './influx-rollup-rows.js';
import { ROLLUP_GRAINS } from '../../domain/rollups.js';

const [FINEST, ...COARSER] = ROLLUP_GRAINS;
/** Each coarser grain with the grain its rows are made of. */
const LEVELS = COARSER.map((grain, i) => ({ grain, finer: ROLLUP_GRAINS[i]! }));

/**
 * Touched minutes at most this far apart are read in one statement: the points of the minutes
 * between, which the statement reads for nothing, cost less than a statement more. Farther apart
 * (a late point beside today's), each cluster is read on its own, with its own devices.
 */
const CLUSTER_GAP_MS = 60 * FINEST;

/** One (device, minute) the batch's stored points fall in, with their metrics and value types. */
interface Touched {
  deviceId: string;
  minute: number;
  metrics: Map<string, Set<ValueType>>;
}

/** Touched minutes close together: one statement per grain reads them. */
interface Cluster {
  from: number;
  to: number;
  devices: Set<string>;
  metrics: Map<string, Set<ValueType>>;
}

/** One device's metric's rows of one grain, by bucket start. */
interface Series {
  deviceId: string;
  metric: string;
  rows: Map<number, RollupRow>;
}

/** Per grain, its series by `device\0metric`. */
type Level = Map<string, Series>;

const seriesKey = (deviceId: string, metric: string) => `${deviceId}\u0000${metric}`;

function seriesOf(level: Level, deviceId: string, metric: string): Series {
  const key = seriesKey(deviceId, metric);
  let series = level.get(key);
  if (!series) level.set(key, (series = { deviceId, metric, rows: new Map() }));
  return series;
}

function addTypes(into: Map<string, Set<ValueType>>, metric: string, types: Iterable<ValueType>) {
  const known = into.get(metric);
  if (known) for (const type of types) known.add(type);
  else into.set(metric, new Set(types));
}

function touchedBy(points: readonly TelemetryPoint[]): Map<string, Touched> {
  const touched = new Map<string, Touched>();
  for (const { deviceId, ts, metrics } of points) {
    const minute = bucketStart(ts, FINEST, 0);
    const key = `${deviceId}\u0000${minute}`;
    let entry = touched.get(key);
    for (const [metric, value] of Object.entries(metrics)) {
      if (!entry) touched.set(key, (entry = { deviceId, minute, metrics: new Map() }));
      addTypes(entry.metrics, metric, [valueTypeOf(value)]);
    }
  }
  return touched;
}

function clustersOf(touched: Iterable<Touched>): Cluster[] {
  const clusters: Cluster[] = [];
  for (const entry of [...touched].sort((a, b) => a.minute - b.minute)) {
    let cluster = clusters.at(-1);
    if (!cluster || entry.minute - cluster.to >= CLUSTER_GAP_MS) {
      cluster = { from: entry.minute, to: entry.minute, devices: new Set(), metrics: new Map() };
      clusters.push(cluster);
    }
    cluster.to = entry.minute + FINEST;
    cluster.devices.add(entry.deviceId);
    for (const [metric, types] of entry.metrics) addTypes(cluster.metrics, metric, types);
  }
  return clusters;
}

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
  const stored = new Map<number, Level>();

  /** The points of one statement's series (a device's), in time order, into the finest rows. */
  function takePoints(series: InfluxSeries, columns: readonly { metric: string }[]) {
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

  function takeRows(grain: number, series: InfluxSeries) {
    const deviceId = series.tags?.device_id;
    const metric = series.tags?.metric;
    if (deviceId === undefined || metric === undefined) return;
    let level = stored.get(grain);
    if (!level) stored.set(grain, (level = new Map()));
    const { rows } = seriesOf(level, deviceId, metric);
    for (const values of series.values) {
      const row = rowOf(values);
      rows.set(row.start, row);
    }
  }

  return {
    /** Adds the statements to read, each with what takes its series. */
    read(params: QueryParams, add: (statement: string, take: (s: InfluxSeries) => void) => void) {
      for (const cluster of clustersOf(touched.values())) {
        // Each metric read as the types the batch stored: a minute lies in one shard, where a
        // field has one type, so every value of a touched minute is of a type the batch wrote.
        const devices = params.anyOf(DEVICE_TAG, cluster.devices);
        const columns = [...cluster.metrics].flatMap(([metric, types]) =>
          [...types].map((type) => ({ metric, type })),
        );
        add(
          `SELECT ${columns.map(({ metric, type }) => typed(metric, type)).join(', ')} FROM ${quoteIdentifier(measurementOf(orgId))} WHERE ${ORG_TAG} = ${params.bind(orgId)} AND ${devices} AND ${params.during(cluster.from, cluster.to)} GROUP BY ${DEVICE_TAG}`,
          (series) => takePoints(series, columns),
        );
        const metrics = params.anyOf(METRIC_TAG, cluster.metrics.keys());
        for (const { grain, finer } of LEVELS) {
          const from = bucketStart(cluster.from, grain, 0);
          const to = bucketStart(cluster.to - 1, grain, 0) + grain;
          add(
            `SELECT ${ROW_SELECTION} FROM ${quoteIdentifier(rollupMeasurementOf(orgId, finer))} WHERE ${devices} AND ${metrics} AND ${params.during(from, to)} GROUP BY ${DEVICE_TAG}, ${METRIC_TAG}`,
            (series) => takeRows(finer, series),
          );
        }
      }
    },

    /** Once read: every touched row of every grain, as line protocol. */
    lines(): string[] {
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
      return lines;
    },
  };
}

/**
 * Recomputes the rollup rows of everything the stored points of a write fall in (the batch
 * without the points InfluxDB refused): one query, one write.
 */
export async function updateRollups(
  http: ReturnType<typeof createInfluxHttp>,
  points: readonly TelemetryPoint[],
): Promise<void> {
  const organizations = [...groupByOrganization(points)].map(([orgId, own]) =>
    organizationRollups(orgId, own),
  );
  const params = new QueryParams();
  const statements: string[] = [];
  const takers: ((series: InfluxSeries) => void)[] = [];
  for (const organization of organizations) {
    organization.read(params, (statement, take) => {
      statements.push(statement);
      takers.push(take);
    });
  }
  if (statements.length === 0) return;
  await http.queryEach(statements.join('; '), params.values, (statement, series) =>
    takers[statement]!(series),
  );
  await writeOwnLines(
    http,
    organizations.flatMap((organization) => organization.lines()),
  );
}
