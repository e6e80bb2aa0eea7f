import { LRUCache } from 'lru-cache';
import { RESERVED_METRIC_NAMES } from '../../domain/metric-name.js';
import {
  compareMetricNames,
  type AggregateQuery,
  type Bucket,
  type LatestValue,
  type MetricValue,
  type TelemetryPoint,
} from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type {
  DevicesAggregateQuery,
  GroupsAggregateQuery,
  RejectedPoint,
  TelemetryStore,
} from '../../ports/telemetry-store.js';
import { devicesByGroup, groupOfDevice } from './buckets.js';
import {
  influxAggregates,
  typed,
  valueTypes,
  type InfluxAggregateQuery,
} from './influx-aggregates.js';
import { createInfluxFieldTypes, type InfluxFieldTypes } from './influx-field-types.js';
import {
  createInfluxHttp,
  quoteIdentifier,
  type BoundValue,
  type InfluxSettings,
} from './influx-http.js';
import {
  DEVICE_TAG,
  equalsAnyOf,
  ORG_TAG,
  RAW_MEASUREMENTS,
  ROLLUP_MEASUREMENTS,
  iso,
  measurementOf,
  rollupMeasurementOf,
} from './influx-layout.js';
import { writeLines, type PointLine } from './influx-line-writer.js';
import { createPointLines } from './influx-point-lines.js';
import { aggregateFromRollups } from './influx-rollup-reader.js';
import { aggregateFromRollupTotals } from './influx-rollup-totals.js';
import { updateRollups } from './influx-rollup-writer.js';
import { planRollups, ROLLUP_GRAINS } from '../../domain/rollups.js';
import { answerByPlan } from './rollup-plan.js';

const field = (metric: string) => `${quoteIdentifier(metric)}::field`;

/**
 * `device_id::tag = $d0 OR device_id::tag = $d1 ...` (or one regex: equalsAnyOf), bound in
 * `params` as `$d<n>`, numbered from `first` (so several lists can be bound into the same params).
 */
function deviceFilter(
  deviceIds: readonly string[],
  params: Record<string, BoundValue>,
  first = 0,
): string {
  let next = first;
  return equalsAnyOf(DEVICE_TAG, deviceIds, (value) => {
    params[`d${next}`] = value;
    return `$d${next++}`;
  });
}

const nothingAsked = (query: Omit<AggregateQuery, 'deviceId'>) =>
  query.aggregates.length === 0 && !query.percentiles?.length;

/** A metric named like a tag (or `time`) cannot be a field here; ingest refuses such names too. */
function reservedMetric(point: TelemetryPoint): string | undefined {
  return Object.keys(point.metrics).find((metric) => RESERVED_METRIC_NAMES.has(metric));
}

/** The params of `inRange`, to which device filters add their ids. */
const rangeParams = (orgId: string, from: number, to: number): Record<string, BoundValue> => ({
  org: orgId,
  from: iso(from),
  to: iso(to),
});

/** One organization's points of the devices `deviceClause` selects, in [$from, $to). */
const inRange = (deviceClause: string) =>
  `${ORG_TAG} = $org AND (${deviceClause}) AND time >= $from AND time < $to`;

/**
 * The production TelemetryStore: one measurement per organization, tags org_id and device_id, one
 * field per metric. InfluxDB's own rule (same series and time: per-field last write wins) is
 * exactly the idempotence the port asks for. Queries are InfluxQL with bound parameters;
 * identifiers (measurements, metric names) are quoted and typed (::tag, ::field), never pasted
 * raw. Points InfluxDB refuses for good are returned as rejected, never dropped in silence.
 * Rollups (rollup-plan.ts) sit in measurements of their own (influx-layout.ts): every write
 * recomputes the rows its points fall in (influx-rollup-writer.ts), and a question whose whole
 * buckets they can answer reads them (influx-rollup-reader.ts) beside the points of its cut ones.
 */
export function createInfluxTelemetryStore(
  settings: InfluxSettings & { logger?: Logger },
): TelemetryStore {
  const http = createInfluxHttp(settings);
  const linesOf = createPointLines();
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
   * Buckets as influx-aggregates.ts computes them, for every value type of every metric, of the
   * devices `deviceClause` selects (their ids bound in `params`), or of their groups (`pools`).
   */
  async function aggregateSeries(
    query: Omit<AggregateQuery, 'deviceId'>,
    params: Record<string, BoundValue>,
    deviceClause: string,
    pools?: InfluxAggregateQuery['pools'],
  ): Promise<Map<string, Bucket[]>> {
    const fieldTypes = await fieldTypesOf(query.orgId).forMetrics(query.metrics);
    const metrics = new Map(
      query.metrics.map((metric) => [metric, valueTypes(fieldTypes.get(metric))] as const),
    );
    // A counter's previous point may lie before the range (AggregateQuery.counterFrom).
    const counters = query.aggregates.includes('increase') || query.aggregates.includes('rate');
    let before: string | undefined;
    if (counters && query.counterFrom !== undefined && query.counterFrom < query.from) {
      params.since = iso(query.counterFrom);
      before = `${ORG_TAG} = $org AND (${deviceClause}) AND time >= $since AND time < $from`;
    }
    return influxAggregates({
      http,
      from: quoteIdentifier(measurementOf(query.orgId)),
      where: inRange(deviceClause),
      params,
      scopeOf: (device, from, to) =>
        `${ORG_TAG} = $org AND ${DEVICE_TAG} = ${device} AND time >= ${from} AND time < ${to}`,
      metrics,
      range: { from: query.from, to: query.to, every: query.every, origin: query.origin },
      aggregates: query.aggregates,
      percentiles: query.percentiles ?? [],
      before,
      groupBy: DEVICE_TAG,
      pools,
    });
  }

  /**
   * A question answered from rollups where rollup-plan.ts allows it: its whole buckets from the
   * rows of one grain (InfluxDB's own totals of them where those answer it,
   * influx-rollup-totals.ts, else the rows themselves, influx-rollup-reader.ts), the buckets the range cuts by `raw`, in parallel;
   * else all of it by `raw`. `seriesOf` names each device's series: its own id, or its group.
   */
  function answer<Q extends DevicesAggregateQuery | GroupsAggregateQuery>(
    query: Q,
    seriesOf: ReadonlyMap<string, string>,
    raw: (part: Q) => Promise<Map<string, Bucket[]>>,
  ): Promise<Map<string, Bucket[]>> {
    const plan = planRollups(query);
    if (!plan) return raw(query);
    const fromRollups = async (part: Q, grain: number) => {
      const read = { ...part, grain, seriesOf, counterFrom: part.counterFrom ?? part.from };
      return (
        (await aggregateFromRollupTotals(http, read)) ?? (await aggregateFromRollups(http, read))
      );
    };
    return answerByPlan(query, plan, fromRollups, raw);
  }

  async function aggregateDevices(query: DevicesAggregateQuery): Promise<Map<string, Bucket[]>> {
    const deviceIds = [...new Set(query.deviceIds)];
    if (deviceIds.length === 0 || nothingAsked(query)) return new Map();
    return answer(query, new Map(deviceIds.map((id) => [id, id])), (part) => {
      const params = rangeParams(part.orgId, part.from, part.to);
      return aggregateSeries(part, params, deviceFilter(deviceIds, params));
    });
  }

  async function aggregateGroups(query: GroupsAggregateQuery): Promise<Map<string, Bucket[]>> {
    const groupOf = groupOfDevice(query);
    if (groupOf.size === 0 || nothingAsked(query)) return new Map();
    return answer(query, groupOf, (part) => rawGroups(part, groupOf));
  }

  /**
   * The statements of aggregateDevices over every device of the groups, folded per group, and per
   * group the WHERE clause of its own devices for its percentiles (every id bound once, for both).
   */
  function rawGroups(
    query: GroupsAggregateQuery,
    groupOf: ReadonlyMap<string, string>,
  ): Promise<Map<string, Bucket[]>> {
    const params = rangeParams(query.orgId, query.from, query.to);
    const clauses: string[] = [];
    const whereOf = new Map<string, string>();
    let bound = 0;
    for (const [key, deviceIds] of devicesByGroup(groupOf)) {
      const clause = deviceFilter(deviceIds, params, bound);
      bound += deviceIds.length;
      clauses.push(clause);
      whereOf.set(key, inRange(clause));
    }
    return aggregateSeries(query, params, clauses.join(' OR '), { groupOf, whereOf });
  }

  /**
   * One statement: each device's first point in range (LIMIT counts per series, so InfluxDB stops
   * at that point, where COUNT(*) would read them all). Exact, where SHOW SERIES with a time range
   * answers per shard. `*::field` reads one type of each field, so a device whose only values in
   * range are of a metric's other type would be missed: every type of such a metric is selected by
   * name beside it.
   */
  async function reportingDevices(
    orgId: string,
    deviceIds: readonly string[],
    from: number,
    to: number,
  ): Promise<Set<string>> {
    const ids = [...new Set(deviceIds)];
    if (ids.length === 0 || from >= to) return new Set();
    const typedApart = [...(await fieldTypesOf(orgId).all())]
      .filter(([, types]) => types.size > 1)
      .flatMap(([metric, types]) => valueTypes(types).map((type) => typed(metric, type)));
    const params = rangeParams(orgId, from, to);
    const [seriesList] = await http.query(
      `SELECT ${['*::field', ...typedApart].join(', ')} FROM ${quoteIdentifier(measurementOf(orgId))} WHERE ${inRange(deviceFilter(ids, params))} GROUP BY ${DEVICE_TAG} LIMIT 1`,
      params,
    );
    return new Set((seriesList ?? []).flatMap((series) => series.tags?.device_id ?? []));
  }

  return {
    async write(points) {
      const rejected: RejectedPoint[] = [];
      const lines: PointLine[] = [];
      const writable: TelemetryPoint[] = [];
      for (const point of points) {
        const reserved = reservedMetric(point);
        if (reserved === undefined) writable.push(point);
        else rejected.push({ point, reason: `metric name "${reserved}" is reserved` });
      }
      linesOf(writable).forEach((line, i) => {
        if (line) lines.push({ point: writable[i]!, line });
      });
      rejected.push(...(await writeLines(http, lines)));
      if (rejected.length > 0) {
        settings.logger?.warn({ rejected: rejected.length }, 'InfluxDB refused points for good');
      }
      const refused = new Set(rejected.map(({ point }) => point));
      const stored = points.filter((point) => !refused.has(point));
      for (const point of stored) fieldTypesOf(point.orgId).noteWritten([point]);
      await updateRollups(http, stored);
      return { rejected };
    },

    async latest(orgId, deviceIds) {
      const result = new Map<string, LatestValue[]>();
      if (deviceIds.length === 0) return result;
      // By name, each type of a metric in turn: each device's values are then listed in the order
      // every store uses, a metric's types side by side.
      const plan = [...(await fieldTypesOf(orgId).all())]
        .sort(([a], [b]) => compareMetricNames(a, b))
        .flatMap(([metric, types]) => valueTypes(types).map((type) => ({ metric, type })));
      if (plan.length === 0) return result;
      const params: Record<string, BoundValue> = { org: orgId };
      const deviceClause = deviceFilter(deviceIds, params);
      const from = quoteIdentifier(measurementOf(orgId));
      // One statement per metric and type, all in one round trip: LAST() of several fields in one
      // statement would report a shared (zero) time instead of each value's own.
      const statements = plan.map(
        ({ metric, type }) =>
          `SELECT LAST(${typed(metric, type)}) FROM ${from} WHERE ${ORG_TAG} = $org AND (${deviceClause}) GROUP BY ${DEVICE_TAG}`,
      );
      const results = await http.query(statements.join('; '), params);
      results.forEach((seriesList, index) => {
        const { metric } = plan[index]!;
        for (const series of seriesList) {
          const deviceId = series.tags?.device_id;
          const row = series.values[0];
          if (!deviceId || !row || row[1] === null || row[1] === undefined) continue;
          const values = result.get(deviceId) ?? [];
          const latest = { metric, value: row[1], ts: Number(row[0]) };
          // The same metric of another type: the newer value is the metric's latest.
          const previous = values.at(-1);
          if (previous?.metric !== metric) values.push(latest);
          else if (latest.ts > previous.ts) values[values.length - 1] = latest;
          result.set(deviceId, values);
        }
      });
      return result;
    },

    aggregateDevices,
    aggregateGroups,
    reportingDevices,

    async raw(query) {
      const types = query.metrics.length
        ? await fieldTypesOf(query.orgId).forMetrics(query.metrics)
        : await fieldTypesOf(query.orgId).all();
      const names = query.metrics.length ? query.metrics : [...types.keys()];
      // Each type of each metric (a metric of several types is several fields to InfluxQL), by
      // name; *::field when every field has one type: every field and no tag, fields written by
      // another process a moment ago included.
      const columns = [...names].sort(compareMetricNames).flatMap((metric) => {
        const own = valueTypes(types.get(metric));
        return own.length === 0
          ? [{ metric, selection: field(metric) }]
          : own.map((type) => ({ metric, selection: typed(metric, type) }));
      });
      const wildcard =
        query.metrics.length === 0 &&
        [...types.values()].every((own) => valueTypes(own).length < 2);
      const selection = wildcard ? '*::field' : columns.map((c) => c.selection).join(', ');
      if (selection === '') return [];
      const params: Record<string, BoundValue> = {
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
        // Each column's metric, in name order: InfluxDB names the wildcard's columns by field (in
        // its own order) and the selection's in the order asked, a second type of a metric as
        // "m_1"; points list their metrics by name, as every store does.
        const metricAt = (position: number) =>
          wildcard ? series.columns[position]! : columns[position - 1]!.metric;
        const positions = series.columns
          .map((_, position) => position)
          .slice(1)
          .sort((a, b) => compareMetricNames(metricAt(a), metricAt(b)));
        for (const row of series.values) {
          const metrics: Record<string, MetricValue> = {};
          for (const position of positions) {
            const value = row[position];
            // One value per metric and time: a time is in one shard, where a field has one type.
            if (value !== null && value !== undefined) metrics[metricAt(position)] = value;
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

    /**
     * One DELETE over every organization's points (or one's: its own measurement), none of the
     * rollups (influx-layout.ts). A retention policy with a DURATION would drop whole shards more
     * cheaply, but of both, and of every organization.
     */
    async deleteBefore(cutoff, orgId) {
      const from = orgId === undefined ? RAW_MEASUREMENTS : quoteIdentifier(measurementOf(orgId));
      // No deadline: a first delete of a large store may take long, and no reader waits on it.
      await http.query(
        `DELETE FROM ${from} WHERE time < $cutoff`,
        { cutoff: iso(cutoff) },
        Infinity,
      );
    },

    /** Every organization's (or one's) rollup rows of every grain, by bucket start. */
    async deleteRollupsBefore(cutoff, orgId) {
      const measurements =
        orgId === undefined
          ? [ROLLUP_MEASUREMENTS]
          : ROLLUP_GRAINS.map((grain) => quoteIdentifier(rollupMeasurementOf(orgId, grain)));
      await http.query(
        measurements.map((from) => `DELETE FROM ${from} WHERE time < $cutoff`).join('; '),
        { cutoff: iso(cutoff) },
        Infinity,
      );
    },

    ping: () => http.ping(),
    async close() {},
  };
}
