/**
 * What a batch of stored points touches, for the rollup upkeep (influx-rollup-writer.ts and
 * influx-rollup-append.ts): each (device, minute) with its metrics and value types, touched
 * minutes close together as clusters, the statements that read a cluster's points and rows, and
 * the rows read, per grain.
 */
import { valueTypeOf, type TelemetryPoint, type ValueType } from '../../domain/telemetry.js';
import { bucketStart } from '../../domain/bucket-grid.js';
import { ROLLUP_GRAINS } from '../../domain/rollups.js';
import { typed } from './influx-aggregates.js';
import { quoteIdentifier, type InfluxSeries } from './influx-http.js';
import {
  DEVICE_TAG,
  METRIC_TAG,
  ORG_TAG,
  measurementOf,
  rollupMeasurementOf,
  type QueryParams,
} from './influx-layout.js';
import { ROW_SELECTION, rowOf } from './influx-rollup-fields.js';
import type { RollupRow } from './influx-rollup-rows.js';

export const [FINEST_GRAIN] = ROLLUP_GRAINS;

/**
 * Touched minutes at most this far apart are read in one statement: the points of the minutes
 * between, which the statement reads for nothing, cost less than a statement more. Farther apart
 * (a late point beside today's), each cluster is read on its own, with its own devices.
 */
const CLUSTER_GAP_MS = 60 * FINEST_GRAIN;

/** One (device, minute) the batch's stored points fall in, with their metrics and value types. */
export interface Touched {
  deviceId: string;
  minute: number;
  metrics: Map<string, Set<ValueType>>;
  /** The time of the batch's earliest point in it. */
  earliest: number;
}

/** Touched minutes close together: one statement per relation reads them. */
export interface Cluster {
  from: number;
  to: number;
  /** The time of the batch's earliest point in the cluster. */
  earliest: number;
  devices: Set<string>;
  metrics: Map<string, Set<ValueType>>;
}

/** The key of one device's metric: a series of rollup rows. */
export const seriesKey = (deviceId: string, metric: string) => `${deviceId}\u0000${metric}`;

function addTypes(into: Map<string, Set<ValueType>>, metric: string, types: Iterable<ValueType>) {
  const known = into.get(metric);
  if (known) for (const type of types) known.add(type);
  else into.set(metric, new Set(types));
}

/** The (device, minute)s of the points, keyed by `device\0minute`. */
export function touchedBy(points: readonly TelemetryPoint[]): Map<string, Touched> {
  const touched = new Map<string, Touched>();
  for (const { deviceId, ts, metrics } of points) {
    const minute = bucketStart(ts, FINEST_GRAIN, 0);
    const key = `${deviceId}\u0000${minute}`;
    let entry = touched.get(key);
    for (const [metric, value] of Object.entries(metrics)) {
      if (!entry)
        touched.set(key, (entry = { deviceId, minute, metrics: new Map(), earliest: ts }));
      addTypes(entry.metrics, metric, [valueTypeOf(value)]);
      if (ts < entry.earliest) entry.earliest = ts;
    }
  }
  return touched;
}

export function clustersOf(touched: Iterable<Touched>): Cluster[] {
  const clusters: Cluster[] = [];
  for (const entry of [...touched].sort((a, b) => a.minute - b.minute)) {
    let cluster = clusters.at(-1);
    if (!cluster || entry.minute - cluster.to >= CLUSTER_GAP_MS) {
      cluster = {
        from: entry.minute,
        to: entry.minute,
        earliest: entry.earliest,
        devices: new Set(),
        metrics: new Map(),
      };
      clusters.push(cluster);
    }
    cluster.to = entry.minute + FINEST_GRAIN;
    cluster.earliest = Math.min(cluster.earliest, entry.earliest);
    cluster.devices.add(entry.deviceId);
    for (const [metric, types] of entry.metrics) addTypes(cluster.metrics, metric, types);
  }
  return clusters;
}

/** A column of a points statement: a metric read as one of its value types. */
export interface PointColumn {
  metric: string;
  type: ValueType;
}

/** One device's metric's rows of one grain, by bucket start. */
export interface Series {
  deviceId: string;
  metric: string;
  rows: Map<number, RollupRow>;
}

/** Rows of one grain, per series by `device\0metric`. */
export type Level = Map<string, Series>;

export function seriesOf(level: Level, deviceId: string, metric: string): Series {
  const key = seriesKey(deviceId, metric);
  let series = level.get(key);
  if (!series) level.set(key, (series = { deviceId, metric, rows: new Map() }));
  return series;
}

/** The rows of a statement of `clusterReads(…).rows`, one series of the answer, into `level`. */
export function takeRows(level: Level, series: InfluxSeries) {
  const deviceId = series.tags?.device_id;
  const metric = series.tags?.metric;
  if (deviceId === undefined || metric === undefined) return;
  const { rows } = seriesOf(level, deviceId, metric);
  for (const values of series.values) {
    const row = rowOf(values);
    rows.set(row.start, row);
  }
}

/**
 * The statements that read what a cluster's rollups are made from, its devices and metrics
 * bound once for all of them.
 */
export function clusterReads(orgId: string, cluster: Cluster, params: QueryParams) {
  const devices = params.anyOf(DEVICE_TAG, cluster.devices);
  const metrics = params.anyOf(METRIC_TAG, cluster.metrics.keys());
  return {
    /**
     * The stored points from `since` (by default the first minute's start) to the cluster's end,
     * each device a series, with its columns. Each metric is read as the types the batch stored:
     * a minute lies in one shard, where a field has one type, so every value of a touched minute
     * is of a type the batch wrote.
     */
    points(since = cluster.from): { statement: string; columns: PointColumn[] } {
      const columns = [...cluster.metrics].flatMap(([metric, types]) =>
        [...types].map((type) => ({ metric, type })),
      );
      const statement = `SELECT ${columns.map(({ metric, type }) => typed(metric, type)).join(', ')} FROM ${quoteIdentifier(measurementOf(orgId))} WHERE ${ORG_TAG} = ${params.bind(orgId)} AND ${devices} AND ${params.during(since, cluster.to)} GROUP BY ${DEVICE_TAG}`;
      return { statement, columns };
    },
    /**
     * The stored rows of `grain` over the buckets of `span` (by default `grain`) the cluster's
     * minutes fall in, each (device, metric) a series (takeRows).
     */
    rows(grain: number, span = grain): string {
      const from = bucketStart(cluster.from, span, 0);
      const to = bucketStart(cluster.to - 1, span, 0) + span;
      return `SELECT ${ROW_SELECTION} FROM ${quoteIdentifier(rollupMeasurementOf(orgId, grain))} WHERE ${devices} AND ${metrics} AND ${params.during(from, to)} GROUP BY ${DEVICE_TAG}, ${METRIC_TAG}`;
    },
  };
}
