import { Point } from '@influxdata/influxdb-client';
import type {
  AggregateQuery,
  AggregateValues,
  Bucket,
  LatestValue,
  MetricValue,
  TelemetryPoint,
} from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import { createInfluxFieldTypes } from './influx-field-types.js';
import {
  createInfluxHttp,
  InfluxError,
  quoteIdentifier,
  type InfluxSettings,
} from './influx-http.js';

const MEASUREMENT = 'telemetry';
const LINES_PER_WRITE = 5_000;
const TAG_COLUMNS = new Set(['time', 'org_id', 'device_id']);

/** Millisecond timestamps go into line protocol as they are (the write uses precision=ms). */
const lineSettings = {
  convertTime: (value: string | number | Date | undefined) =>
    value === undefined ? undefined : String(value),
};

function toLine(point: TelemetryPoint): string | undefined {
  const line = new Point(MEASUREMENT).tag('org_id', point.orgId).tag('device_id', point.deviceId);
  for (const [metric, value] of Object.entries(point.metrics)) {
    // Every number is a float field: 1 then 1.5 must not be a field type conflict.
    if (typeof value === 'number') line.floatField(metric, value);
    else if (typeof value === 'boolean') line.booleanField(metric, value);
    else line.stringField(metric, value);
  }
  return line.timestamp(point.ts).toLineProtocol(lineSettings);
}

const iso = (ms: number) => new Date(ms).toISOString();

const AGGREGATE_SQL: Record<string, (field: string) => string> = {
  mean: (f) => `MEAN(${f})`,
  min: (f) => `MIN(${f})`,
  max: (f) => `MAX(${f})`,
  sum: (f) => `SUM(${f})`,
  count: (f) => `COUNT(${f})`,
  first: (f) => `FIRST(${f})`,
  last: (f) => `LAST(${f})`,
  p50: (f) => `PERCENTILE(${f}, 50)`,
  p90: (f) => `PERCENTILE(${f}, 90)`,
  p95: (f) => `PERCENTILE(${f}, 95)`,
  p99: (f) => `PERCENTILE(${f}, 99)`,
};

/**
 * The production TelemetryStore: one measurement, tags org_id and device_id, one field per
 * metric. InfluxDB's own rule (same series and time: per-field last write wins) is exactly the
 * idempotence the port asks for. Queries are InfluxQL with bound parameters; identifiers (metric
 * names) are quoted, never pasted raw.
 */
export function createInfluxTelemetryStore(
  settings: InfluxSettings & { logger?: Logger },
): TelemetryStore {
  const http = createInfluxHttp(settings);
  const fieldTypes = createInfluxFieldTypes(http, MEASUREMENT);

  return {
    async write(points) {
      const lines: string[] = [];
      for (const point of points) {
        const line = toLine(point);
        if (line) lines.push(line);
      }
      for (let start = 0; start < lines.length; start += LINES_PER_WRITE) {
        try {
          await http.write(lines.slice(start, start + LINES_PER_WRITE).join('\n'));
        } catch (error) {
          // 400 is InfluxDB refusing some points for good (a field type conflict: "partial
          // write", the valid points are stored). Retrying would stall the pipeline on a batch
          // that can never fully succeed, so it is logged loudly instead; anything else (5xx,
          // network) is thrown and retried.
          if (!(error instanceof InfluxError) || error.status !== 400) throw error;
          settings.logger?.error({ err: error }, 'InfluxDB refused points of a batch');
        }
      }
      fieldTypes.noteWritten(points);
    },

    async latest(orgId, deviceIds) {
      const result = new Map<string, LatestValue[]>();
      if (deviceIds.length === 0) return result;
      const fields = [...(await fieldTypes.all()).keys()];
      if (fields.length === 0) return result;
      const params: Record<string, string> = { org: orgId };
      const deviceClause = deviceIds
        .map((id, index) => {
          params[`d${index}`] = id;
          return `device_id = $d${index}`;
        })
        .join(' OR ');
      // One statement per metric, all in one round trip: LAST() of several fields in one
      // statement would report a shared (zero) time instead of each value's own.
      const statements = fields.map(
        (field) =>
          `SELECT LAST(${quoteIdentifier(field)}) FROM ${MEASUREMENT} WHERE org_id = $org AND (${deviceClause}) GROUP BY device_id`,
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

    async aggregate(query: AggregateQuery) {
      const types = await fieldTypes.forMetrics(query.metrics);
      // Aggregates are over numeric values; a string or boolean metric has none (as in DuckDB).
      const metrics = query.metrics.filter((metric) => {
        const type = types.get(metric);
        return type === 'float' || type === 'integer';
      });
      if (metrics.length === 0) return [];
      const statements = metrics.map((metric) => {
        const field = quoteIdentifier(metric);
        const selections = query.aggregates
          .map((name) => `${AGGREGATE_SQL[name]!(field)} AS ${quoteIdentifier(name)}`)
          .join(', ');
        return `SELECT ${selections} FROM ${MEASUREMENT} WHERE org_id = $org AND device_id = $device AND time >= $from AND time < $to GROUP BY time(${query.every}ms) fill(none)`;
      });
      const results = await http.query(statements.join('; '), {
        org: query.orgId,
        device: query.deviceId,
        from: iso(query.from),
        to: iso(query.to),
      });
      const buckets = new Map<number, Bucket>();
      results.forEach((seriesList, index) => {
        for (const series of seriesList) {
          for (const row of series.values) {
            const start = Number(row[0]);
            const values: AggregateValues = {};
            series.columns.forEach((column, position) => {
              if (position > 0)
                values[column as keyof AggregateValues] = row[position] as number | null;
            });
            const bucket = buckets.get(start) ?? { start, values: {} };
            bucket.values[metrics[index]!] = values;
            buckets.set(start, bucket);
          }
        }
      });
      return [...buckets.values()].sort((a, b) => a.start - b.start);
    },

    async raw(query) {
      const selection = query.metrics.length ? query.metrics.map(quoteIdentifier).join(', ') : '*';
      const params: Record<string, string> = {
        org: query.orgId,
        device: query.deviceId,
        from: iso(query.from),
        to: iso(query.to),
      };
      let where = 'org_id = $org AND device_id = $device AND time >= $from AND time < $to';
      if (query.after !== undefined) {
        params.after = iso(query.after);
        where += ' AND time > $after';
      }
      const [seriesList] = await http.query(
        `SELECT ${selection} FROM ${MEASUREMENT} WHERE ${where} ORDER BY time ASC LIMIT ${Math.floor(query.limit)}`,
        params,
      );
      const points: TelemetryPoint[] = [];
      for (const series of seriesList ?? []) {
        for (const row of series.values) {
          const metrics: Record<string, MetricValue> = {};
          series.columns.forEach((column, position) => {
            const value = row[position];
            if (!TAG_COLUMNS.has(column) && value !== null && value !== undefined)
              metrics[column] = value;
          });
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
