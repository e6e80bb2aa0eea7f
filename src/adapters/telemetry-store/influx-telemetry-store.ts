import { Point } from '@influxdata/influxdb-client';
import { LRUCache } from 'lru-cache';
import { RESERVED_METRIC_NAMES } from '../../domain/metric-name.js';
import {
  compareMetricNames,
  type Aggregate,
  type Bucket,
  type LatestValue,
  type MetricValue,
  type TelemetryPoint,
} from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type {
  DevicesAggregateQuery,
  RejectedPoint,
  TelemetryStore,
} from '../../ports/telemetry-store.js';
import { createInfluxFieldTypes, type InfluxFieldTypes } from './influx-field-types.js';
import { ExactSum } from './exact-sum.js';
import { createInfluxHttp, quoteIdentifier, type InfluxSettings } from './influx-http.js';
import { writeLines, type PointLine } from './influx-line-writer.js';

/**
 * One measurement per organization: InfluxDB fixes a field's type per measurement (and shard),
 * so one tenant's string `temperature` cannot get another tenant's numbers refused, and SHOW
 * FIELD KEYS lists only the tenant's own metrics. Point escapes the name in line protocol,
 * quoteIdentifier in InfluxQL.
 */
export const measurementOf = (orgId: string) => `telemetry_${orgId}`;

/**
 * Tags, always qualified with ::tag in InfluxQL: an unqualified identifier means the field when a
 * field of that name exists, which would let a point's metric named org_id answer for the tag.
 */
const ORG_TAG = `${quoteIdentifier('org_id')}::tag`;
const DEVICE_TAG = `${quoteIdentifier('device_id')}::tag`;
const field = (metric: string) => `${quoteIdentifier(metric)}::field`;

/** Millisecond timestamps go into line protocol as they are (the write uses precision=ms). */
const lineSettings = {
  convertTime: (value: string | number | Date | undefined) =>
    value === undefined ? undefined : String(value),
};

/** `device_id::tag = $d0 OR device_id::tag = $d1 ...`, each id bound in `params`. */
function deviceFilter(deviceIds: readonly string[], params: Record<string, string>): string {
  return deviceIds
    .map((id, index) => {
      params[`d${index}`] = id;
      return `${DEVICE_TAG} = $d${index}`;
    })
    .join(' OR ');
}

/** A metric named like a tag (or `time`) cannot be a field here; ingest refuses such names too. */
function reservedMetric(point: TelemetryPoint): string | undefined {
  return Object.keys(point.metrics).find((metric) => RESERVED_METRIC_NAMES.has(metric));
}

function toLine(point: TelemetryPoint): string | undefined {
  const line = new Point(measurementOf(point.orgId))
    .tag('org_id', point.orgId)
    .tag('device_id', point.deviceId);
  for (const [metric, value] of Object.entries(point.metrics)) {
    // Every number is a float field: 1 then 1.5 must not be a field type conflict.
    if (typeof value === 'number') line.floatField(metric, value);
    else if (typeof value === 'boolean') line.booleanField(metric, value);
    else line.stringField(metric, value);
  }
  return line.timestamp(point.ts).toLineProtocol(lineSettings);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The start of the bucket of `every` ms (aligned to the epoch, as GROUP BY time()) holding ts. */
const bucketStart = (ts: number, every: number) => ts - (((ts % every) + every) % every);

/** Per device, per bucket start: the exact sum and count of a metric's numbers (see below). */
type NumberSums = Map<string, Map<number, { sum: ExactSum; count: number }>>;

/** MEAN and SUM are not here: InfluxQL's add in no fixed order (see aggregateDevices). */
const AGGREGATE_SQL: Partial<Record<Aggregate, (field: string) => string>> = {
  min: (f) => `MIN(${f})`,
  max: (f) => `MAX(${f})`,
  count: (f) => `COUNT(${f})`,
  first: (f) => `FIRST(${f})`,
  last: (f) => `LAST(${f})`,
  p50: (f) => `PERCENTILE(${f}, 50)`,
  p90: (f) => `PERCENTILE(${f}, 90)`,
  p95: (f) => `PERCENTILE(${f}, 95)`,
  p99: (f) => `PERCENTILE(${f}, 99)`,
};

/**
 * The production TelemetryStore: one measurement per organization, tags org_id and device_id, one
 * field per metric. InfluxDB's own rule (same series and time: per-field last write wins) is
 * exactly the idempotence the port asks for. Queries are InfluxQL with bound parameters;
 * identifiers (measurements, metric names) are quoted and typed (::tag, ::field), never pasted
 * raw. Points InfluxDB refuses for good are returned as rejected, never dropped in silence.
 */
export function createInfluxTelemetryStore(
  settings: InfluxSettings & { logger?: Logger },
): TelemetryStore {
  const http = createInfluxHttp(settings);
  // Bounded: an organization's entry is a few field names, reloaded when it was evicted.
  const fieldTypesByMeasurement = new LRUCache<string, InfluxFieldTypes>({ max: 10_000 });
  const fieldTypesOf = (orgId: string) => {
    const measurement = measurementOf(orgId);
    let types = fieldTypesByMeasurement.get(measurement);
    if (!types) {
      types = createInfluxFieldTypes(http, measurement);
      fieldTypesByMeasurement.set(measurement, types);
    }
    return types;
  };

  /**
   * Statements per metric, all in one round trip, each grouped by the device tag: a series per
   * (metric, device).
   *
   * InfluxQL's SUM() and MEAN() add each shard's points in turn and then the shards' partial sums,
   * in no order an answer can rely on, and InfluxQL has no exact sum. So for those two the
   * metric's numbers are read (one more statement) and summed exactly here as they stream in, as
   * DuckDB's store sums them in SQL (exact-sum.ts): the two stores agree to the last bit. Only a
   * running sum per bucket is held, never the points. The other aggregates are InfluxDB's own.
   */
  async function aggregateDevices(query: DevicesAggregateQuery): Promise<Map<string, Bucket[]>> {
    const result = new Map<string, Bucket[]>();
    const deviceIds = [...new Set(query.deviceIds)];
    if (deviceIds.length === 0 || query.aggregates.length === 0) return result;
    const types = await fieldTypesOf(query.orgId).forMetrics(query.metrics);
    // Aggregates are over numeric values; a string or boolean metric has none (as in DuckDB).
    const metrics = query.metrics.filter((metric) => {
      const type = types.get(metric);
      return type === 'float' || type === 'integer';
    });
    if (metrics.length === 0) return result;
    const params: Record<string, string> = {
      org: query.orgId,
      from: iso(query.from),
      to: iso(query.to),
    };
    const deviceClause = deviceFilter(deviceIds, params);
    const from = quoteIdentifier(measurementOf(query.orgId));
    const where = `${ORG_TAG} = $org AND (${deviceClause}) AND time >= $from AND time < $to`;
    const summed = query.aggregates.includes('sum') || query.aggregates.includes('mean');
    const selected = query.aggregates.filter((name) => AGGREGATE_SQL[name] !== undefined);

    const statements: string[] = [];
    /** What each statement's series are for: the metric, and whether they are its numbers. */
    const purposes: { metric: string; numbers: boolean }[] = [];
    for (const metric of metrics) {
      if (summed) {
        statements.push(
          `SELECT ${field(metric)} FROM ${from} WHERE ${where} GROUP BY ${DEVICE_TAG}`,
        );
        purposes.push({ metric, numbers: true });
      }
      if (selected.length > 0) {
        const selections = selected
          .map((name) => `${AGGREGATE_SQL[name]!(field(metric))} AS ${quoteIdentifier(name)}`)
          .join(', ');
        statements.push(
          `SELECT ${selections} FROM ${from} WHERE ${where} GROUP BY time(${query.every}ms), ${DEVICE_TAG} fill(none)`,
        );
        purposes.push({ metric, numbers: false });
      }
    }

    const byDevice = new Map<string, Map<number, Bucket>>();
    const bucketOf = (deviceId: string, start: number) => {
      let buckets = byDevice.get(deviceId);
      if (!buckets) byDevice.set(deviceId, (buckets = new Map()));
      let bucket = buckets.get(start);
      if (!bucket) buckets.set(start, (bucket = { start, values: {} }));
      return bucket;
    };
    const sums = new Map<string, NumberSums>(metrics.map((metric) => [metric, new Map()]));
    await http.queryEach(statements.join('; '), params, (statement, series) => {
      const { metric, numbers } = purposes[statement]!;
      const deviceId = series.tags?.device_id;
      if (deviceId === undefined) return;
      if (numbers) {
        const own = sums.get(metric)!;
        let byStart = own.get(deviceId);
        if (!byStart) own.set(deviceId, (byStart = new Map()));
        for (const [ts, value] of series.values) {
          const start = bucketStart(Number(ts), query.every);
          let entry = byStart.get(start);
          if (!entry) byStart.set(start, (entry = { sum: new ExactSum(), count: 0 }));
          entry.sum.add(value as number);
          entry.count += 1;
        }
        return;
      }
      for (const row of series.values) {
        const values = (bucketOf(deviceId, Number(row[0])).values[metric] ??= {});
        series.columns.forEach((column, position) => {
          if (position > 0) values[column as Aggregate] = row[position] as number | null;
        });
      }
    });
    for (const [metric, own] of sums) {
      for (const [deviceId, byStart] of own) {
        for (const [start, { sum, count }] of byStart) {
          const values = (bucketOf(deviceId, start).values[metric] ??= {});
          const total = sum.value();
          if (query.aggregates.includes('sum')) values.sum = total;
          if (query.aggregates.includes('mean')) values.mean = total / count;
        }
      }
    }
    for (const [deviceId, buckets] of byDevice) {
      result.set(
        deviceId,
        [...buckets.values()].sort((a, b) => a.start - b.start),
      );
    }
    return result;
  }

  return {
    async write(points) {
      const rejected: RejectedPoint[] = [];
      const lines: PointLine[] = [];
      for (const point of points) {
        const reserved = reservedMetric(point);
        if (reserved !== undefined) {
          rejected.push({ point, reason: `metric name "${reserved}" is reserved` });
          continue;
        }
        const line = toLine(point);
        if (line) lines.push({ point, line });
      }
      rejected.push(...(await writeLines(http, lines)));
      if (rejected.length > 0) {
        settings.logger?.warn({ rejected: rejected.length }, 'InfluxDB refused points for good');
      }
      const refused = new Set(rejected.map(({ point }) => point));
      for (const point of points) {
        if (!refused.has(point)) fieldTypesOf(point.orgId).noteWritten([point]);
      }
      return { rejected };
    },

    async latest(orgId, deviceIds) {
      const result = new Map<string, LatestValue[]>();
      if (deviceIds.length === 0) return result;
      // By name: each device's values are then listed in the order every store uses.
      const fields = [...(await fieldTypesOf(orgId).all()).keys()].sort(compareMetricNames);
      if (fields.length === 0) return result;
      const params: Record<string, string> = { org: orgId };
      const deviceClause = deviceFilter(deviceIds, params);
      const from = quoteIdentifier(measurementOf(orgId));
      // One statement per metric, all in one round trip: LAST() of several fields in one
      // statement would report a shared (zero) time instead of each value's own.
      const statements = fields.map(
        (metric) =>
          `SELECT LAST(${field(metric)}) FROM ${from} WHERE ${ORG_TAG} = $org AND (${deviceClause}) GROUP BY ${DEVICE_TAG}`,
      );
      const results = await http.query(statements.join('; '), params);
      results.forEach((seriesList, index) => {
        for (const series of seriesList) {
          const deviceId = series.tags?.device_id;
          const row = series.values[0];
          if (!deviceId || !row || row[1] === null || row[1] === undefined) continue;
          const values = result.get(deviceId) ?? [];
          values.push({ metric: fields[index]!, value: row[1], ts: Number(row[0]) });
          result.set(deviceId, values);
        }
      });
      return result;
    },

    aggregateDevices,

    async raw(query) {
      // *::field: every field and no tag, so a column is always a metric.
      const selection = query.metrics.length ? query.metrics.map(field).join(', ') : '*::field';
      const params: Record<string, string> = {
        org: query.orgId,
        device: query.deviceId,
        from: iso(query.from),
        to: iso(query.to),
      };
      let where = `${ORG_TAG} = $org AND ${DEVICE_TAG} = $device AND time >= $from AND time < $to`;
      if (query.after !== undefined) {
        params.after = iso(query.after);
        where += ' AND time > $after';
      }
      const [seriesList] = await http.query(
        `SELECT ${selection} FROM ${quoteIdentifier(measurementOf(query.orgId))} WHERE ${where} ORDER BY time ASC LIMIT ${Math.floor(query.limit)}`,
        params,
      );
      const points: TelemetryPoint[] = [];
      for (const series of seriesList ?? []) {
        // Columns follow the selection (or InfluxDB's own order for *::field); points list their
        // metrics by name, as every store does.
        const positions = series.columns
          .map((_, position) => position)
          .slice(1)
          .sort((a, b) => compareMetricNames(series.columns[a]!, series.columns[b]!));
        for (const row of series.values) {
          const metrics: Record<string, MetricValue> = {};
          for (const position of positions) {
            const value = row[position];
            if (value !== null && value !== undefined) metrics[series.columns[position]!] = value;
          }
          if (Object.keys(metrics).length > 0) {
            points.push({
              orgId: query.orgId,
              deviceId: query.deviceId,
              ts: Number(row[0]),
              metrics,
            });
          }
        }
      }
      return points;
    },

    ping: () => http.ping(),
    async close() {},
  };
}
