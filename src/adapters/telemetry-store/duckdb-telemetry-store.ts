import {
  BIGINT,
  DuckDBInstance,
  HUGEINT,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import pLimit from 'p-limit';
import {
  metricsByName,
  type AggregateQuery,
  type AggregateValues,
  type Bucket,
  type LatestValue,
  type MetricValue,
  type TelemetryPoint,
  type ValueType,
} from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import { StoreTimeoutError } from '../../ports/store-timeout.js';
import type {
  DevicesAggregateQuery,
  GroupsAggregateQuery,
  TelemetryStore,
} from '../../ports/telemetry-store.js';
import { bucketOffset, bucketStart } from '../../domain/bucket-grid.js';
import { ROLLUP_GRAINS, planRollups } from '../../domain/rollups.js';
import { groupOfDevice } from './buckets.js';
import { createLatestMirror } from './duckdb-latest-mirror.js';
import { createLatestWriteBehind, recoverLatest } from './duckdb-latest-writer.js';
import { compactTelemetry, readCompactedSeq } from './duckdb-telemetry-compaction.js';
import {
  LATEST_SQL,
  REPORTING_SQL,
  SCHEMA_SQL,
  STAGING_SQL,
  aggregateSql,
  deleteBeforeSql,
  deleteLatestBeforeSql,
  oldestSql,
  rawPageEndSql,
  rawSql,
  type AggregateSeries,
} from './duckdb-telemetry-sql.js';
import { writeBatch } from './duckdb-telemetry-writer.js';
import {
  ROLLUP_TABLES,
  deleteRollupsBeforeSql,
  oldestRollupSql,
  TOUCHED_SQL,
  rollupAggregateSql,
} from './duckdb-rollup-sql.js';
import { SETTLE_ROWS, refreshRollups, settleRollups } from './duckdb-rollup-writer.js';
import { createRollups } from './duckdb-rollup-schema.js';
import { createPreparedStatements } from './duckdb-prepared-statements.js';
import { answerByPlan } from './rollup-plan.js';
import { sumOfScaledIntegers } from '../../domain/exact-sum.js';
import { powerSumsOfParts, sampleStddev } from '../../domain/exact-moments.js';
import { medianOf, percentileFraction } from '../../domain/order-statistics.js';
import { rateOf } from '../../domain/counters.js';
import type { LatestRow } from './latest-rows.js';

export interface DuckDbTelemetryStoreOptions {
  /** Database file, e.g. `${dataDir}/telemetry.duckdb`; ':memory:' for a throwaway store. */
  path: string;
  /** Connections serving reads in parallel (writes have their own). */
  readConnections?: number;
  /** Compact after this many rows were appended since the last compaction. */
  compactAfterRows?: number;
  /** How long a read may run before it is interrupted (StoreTimeoutError); 30 s by default. */
  queryTimeoutMs?: number;
  /**
   * How long after a write its newest values reach telemetry_latest at the latest (reads never
   * wait for it: duckdb-latest-writer.ts); 1 s by default.
   */
  latestFlushMs?: number;
  /** Devices whose latest values are kept in memory (duckdb-latest-mirror.ts). */
  latestCacheDevices?: number;
  /**
   * How long after a write the rollups of the buckets it touched are recomputed in the
   * background (a rollup read recomputes them first, so reads never wait for it); 1 s by
   * default, and longer under load: see REFRESH_SHARE. Writes in between share the work.
   */
  rollupRefreshMs?: number;
  /**
   * Fresh rollup rows past which a refresh moves them, sorted, among the settled ones
   * (duckdb-rollup-sql.ts); SETTLE_ROWS by default.
   */
  rollupSettleRows?: number;
  logger?: Logger;
}

export interface DuckDbTelemetryStore extends TelemetryStore {
  /** Deletes rows superseded by later writes; reads never need it. Returns rows deleted. */
  compact(): Promise<number>;
}

type Params = Record<string, DuckDBValue>;

/**
 * The share of the writer's time background rollup refreshes may take: after a refresh that took
 * d ms, the next background one waits at least d × (1 / REFRESH_SHARE − 1). A refresh recomputes
 * whole buckets from their points, so under a burst of high-rate devices (a minute bucket of
 * thousands of points each) refreshing every second rescanned the same buckets over and over and
 * halved the write rate (bench/embedded.ts); spaced out, each rescan covers more writes.
 */
const REFRESH_SHARE = 0.2;

const DAY_MS = 86_400_000;
type Types = Record<string, DuckDBType>;

const STRINGS = LIST(VARCHAR);

function valueOf(num: unknown, bool: unknown, str: unknown): MetricValue {
  if (typeof num === 'number') return num;
  if (typeof bool === 'boolean') return bool;
  return String(str);
}

type Row = Record<string, unknown>;

/** The value types of a bucket's row (see aggregateSql), by name. */
function typesOf(row: Row): ValueType[] {
  const types: ValueType[] = [];
  if (Number(row.n_bool) > 0) types.push('boolean');
  if (Number(row.n_num) > 0) types.push('number');
  if (Number(row.n_str) > 0) types.push('string');
  return types;
}

const numberOrUndefined = (value: unknown) =>
  value === null || value === undefined ? undefined : Number(value);

const numberOrNull = (value: unknown) =>
  value === null || value === undefined ? null : Number(value);

/** A struct {num, bool, str} as the value it holds. */
function structValue(value: unknown): MetricValue | null {
  if (value === null || value === undefined) return null;
  const { num, bool, str } = value as { num: unknown; bool: unknown; str: unknown };
  return valueOf(num, bool, str);
}

/** The parts of a bucket's exact sums (aggregateSql), each sum with its squares' pieces. */
type SumPart = { k: number; s: bigint; q2?: bigint; q1?: bigint; q0?: bigint };

function sumParts(row: Row): SumPart[] {
  // Zeros have no part, so a bucket of zeros has none.
  const parts = Number(row.n_parts ?? 0);
  if (parts === 0) return [];
  if (parts > 1) return (row.sum_parts ?? []) as SumPart[];
  const { sum_k: k, sum_s: s, sum_q2: q2, sum_q1: q1, sum_q0: q0 } = row;
  return [{ k: Number(k), s: s as bigint, q2: q2 as bigint, q1: q1 as bigint, q0: q0 as bigint }];
}

/** A bucket's row of aggregateSql as the requested aggregates (domain/telemetry.ts says which). */
/** The exact sum of a bucket's steps (duckdb-telemetry-sql.ts increasesSql): 0 without any. */
function increaseOf(row: Row): number {
  const parts = Number(row.inc_n ?? 0);
  if (parts === 0) return 0;
  if (parts > 1) return sumOfScaledIntegers((row.inc_parts ?? []) as { k: number; s: bigint }[]);
  return sumOfScaledIntegers([{ k: Number(row.inc_k), s: row.inc_s as bigint }]);
}

function bucketValues(
  row: Row,
  question: Omit<AggregateQuery, 'deviceId'>,
  percentiles: readonly number[],
): AggregateValues {
  const { aggregates } = question;
  const numbers = Number(row.n_num);
  const booleans = Number(row.n_bool);
  const parts = row.n_parts === undefined || numbers === 0 ? undefined : sumParts(row);
  const sum = parts === undefined ? null : sumOfScaledIntegers(parts);
  const increase = numbers === 0 ? null : increaseOf(row);
  const values: AggregateValues = {};
  for (const name of aggregates) {
    if (name === 'count') values.count = numbers + booleans + Number(row.n_str);
    else if (name === 'sum') values.sum = sum;
    else if (name === 'mean') {
      values.mean =
        sum !== null ? sum / numbers : booleans > 0 ? Number(row.n_true) / booleans : null;
    } else if (name === 'first' || name === 'last') values[name] = structValue(row[name]);
    else if (name === 'stddev') {
      values.stddev =
        parts === undefined
          ? null
          : sampleStddev(
              numbers,
              powerSumsOfParts(
                parts.map(({ k, s, q2, q1, q0 }) => ({ k, s, q2: q2!, q1: q1!, q0: q0! })),
              ),
            );
    } else if (name === 'spread') {
      values.spread = numbers === 0 ? null : Number(row.max) - Number(row.min);
    } else if (name === 'increase') values.increase = increase;
    else if (name === 'rate') values.rate = rateOf(increase, Number(row.bucket), question);
    else if (name === 'median') {
      values.median =
        numbers === 0 ? null : medianOf(numbers, Number(row.median_lo), Number(row.median_hi));
    } else values[name] = numberOrNull(row[name]);
  }
  if (percentiles.length > 0) {
    values.percentiles = percentiles.map((percentile, i) => ({
      percentile,
      value: numbers === 0 ? null : numberOrNull(row[`pct${i}`]),
    }));
  }
  return values;
}

/**
 * The embedded TelemetryStore. A DuckDB connection runs one statement at a time, and a write's
 * transaction must not pick up anyone else's statements, so writes (and compaction) queue on one
 * connection while reads share a small pool of others; DuckDB's MVCC lets readers see the last
 * committed batch while a write is in progress.
 */
export async function createDuckDbTelemetryStore(
  options: DuckDbTelemetryStoreOptions,
): Promise<DuckDbTelemetryStore> {
  const instance = await DuckDBInstance.create(options.path);
  const writer = await instance.connect();
  await writer.run(SCHEMA_SQL);
  await writer.run(STAGING_SQL);
  await writer.run(TOUCHED_SQL);
  const rollupSettleRows = options.rollupSettleRows ?? SETTLE_ROWS;
  await createRollups(writer, rollupSettleRows, options.logger);
  const readers = await Promise.all(
    Array.from({ length: options.readConnections ?? 4 }, () => instance.connect()),
  );
  const idleReaders = [...readers];
  const writeQueue = pLimit(1);
  const readLimit = pLimit(readers.length);
  const compactAfterRows = options.compactAfterRows ?? 5_000_000;
  const mirror = createLatestMirror(options.latestCacheDevices ?? 100_000);

  const seqRow = await writer.runAndReadAll('SELECT coalesce(max(seq), -1) + 1 FROM telemetry');
  let nextSeq = Number(seqRow.getRowsJS()[0]?.[0] ?? 0);
  await recoverLatest(writer, nextSeq);
  const latestBehind = createLatestWriteBehind();
  const latestFlushMs = options.latestFlushMs ?? 1_000;
  let latestTimer: NodeJS.Timeout | undefined;
  let compactedSeq = await readCompactedSeq(writer);
  let closed = false;
  let compactionQueued = false;
  const rollupRefreshMs = options.rollupRefreshMs ?? 1_000;
  /** Whether a write committed since the last refresh began (or marks were left by a crash). */
  let rollupsDirty =
    (await writer.runAndReadAll('SELECT 1 FROM rollup_dirty LIMIT 1')).currentRowCount > 0;
  let refreshTimer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;
  /** How long the background refresh waits after a write (REFRESH_SHARE). */
  let refreshDelayMs = rollupRefreshMs;

  function assertOpen() {
    if (closed) throw new Error('DuckDB telemetry store is closed');
  }

  function read<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    assertOpen();
    return readLimit(async () => {
      const connection = idleReaders.pop()!;
      try {
        return await work(connection);
      } finally {
        idleReaders.push(connection);
      }
    });
  }

  const queryTimeoutMs = options.queryTimeoutMs ?? 30_000;
  const statements = createPreparedStatements();

  /**
   * A read, interrupted once it has run for queryTimeoutMs, so its connection is free again. An
   * interrupt reaches only a statement already executing (one still being prepared ignores it),
   * so it is repeated until the statement stops; one that finishes meanwhile is answered.
   */
  async function query(sql: string, params: Params, types: Types) {
    return read(async (connection) => {
      let timedOut = false;
      let interrupting: NodeJS.Timeout | undefined;
      const deadline = setTimeout(() => {
        timedOut = true;
        connection.interrupt();
        interrupting = setInterval(() => connection.interrupt(), 10);
      }, queryTimeoutMs);
      try {
        const reader = await statements.runAndReadAll(connection, sql, params, types);
        return reader.getRowObjectsJS();
      } catch (error) {
        throw timedOut ? new StoreTimeoutError(queryTimeoutMs) : error;
      } finally {
        clearTimeout(deadline);
        clearInterval(interrupting);
      }
    });
  }

  async function readLatest(orgId: string, deviceIds: string[]): Promise<LatestRow[]> {
    const rows = await query(
      LATEST_SQL,
      { org: orgId, devices: listValue(deviceIds) },
      { org: VARCHAR, devices: STRINGS },
    );
    return rows.map((row) => ({
      orgId,
      deviceId: String(row.device_id),
      metric: String(row.metric),
      ts: Number(row.ts),
      value: valueOf(row.num, row.bool, row.str),
    }));
  }

  /**
   * The buckets of each series: `members` are the devices asked, and for groups each one's group
   * key, side by side (bound as two lists). The buckets that lie whole in the range come from the
   * rollups when they can (rollup-plan.ts), the others from the points (aggregateSql).
   */
  async function aggregateSeries(
    q: Omit<AggregateQuery, 'deviceId'>,
    series: AggregateSeries,
    members: { devices: string[]; groups?: string[] },
  ): Promise<Map<string, Bucket[]>> {
    const plan = planRollups(q);
    if (!plan) return seriesBuckets(q, series, members);
    await freshRollups();
    return answerByPlan(
      q,
      plan,
      (part, grain) => seriesBuckets(part, series, members, grain),
      (part) => seriesBuckets(part, series, members),
    );
  }

  /** The buckets of each series, from the rollups of `grain` or, without one, the points. */
  async function seriesBuckets(
    q: Omit<AggregateQuery, 'deviceId'>,
    series: AggregateSeries,
    members: { devices: string[]; groups?: string[] },
    grain?: number,
  ): Promise<Map<string, Bucket[]>> {
    const offset = bucketOffset(q.every, q.origin);
    const bySeries = new Map<string, Bucket[]>();
    const percentiles = q.percentiles ?? [];
    const asked = q.aggregates.length + percentiles.length;
    if (members.devices.length === 0 || q.metrics.length === 0 || asked === 0) return bySeries;
    if (q.from >= q.to) return bySeries;
    const counters = q.aggregates.includes('increase') || q.aggregates.includes('rate');
    // A device's rollup rows of the question's own window are its buckets as they are
    // (RollupAsk.direct): no grid to work out, so no $every and $offset (DuckDB refuses a
    // parameter the SQL does not use).
    const direct = grain === q.every && series === 'device' && !counters;
    const params: Params = {
      org: q.orgId,
      devices: listValue(members.devices),
      lo: BigInt(Math.ceil(q.from)),
      to: BigInt(Math.ceil(q.to)),
      ...(direct ? {} : { every: BigInt(q.every), offset: BigInt(offset) }),
      // The start of the counters' steps (domain/counters.ts), bound only where the SQL has it.
      ...(counters ? { since: BigInt(Math.ceil(Math.min(q.counterFrom ?? q.from, q.from))) } : {}),
      metrics: listValue(q.metrics),
    };
    const types: Types = {
      ...(counters ? { since: BIGINT } : {}),
      org: VARCHAR,
      devices: STRINGS,
      lo: BIGINT,
      to: BIGINT,
      ...(direct ? {} : { every: BIGINT, offset: BIGINT }),
      metrics: STRINGS,
    };
    if (members.groups) {
      params.groups = listValue(members.groups);
      types.groups = STRINGS;
    }
    percentiles.forEach((p, i) => {
      const { numerator, denominator } = percentileFraction(p);
      params[`pa${i}`] = 2n * numerator;
      params[`pb${i}`] = denominator;
      params[`pc${i}`] = 2n * denominator;
      types[`pa${i}`] = types[`pb${i}`] = types[`pc${i}`] = HUGEINT;
    });
    let sql: string;
    if (grain === undefined) sql = aggregateSql(q.aggregates, series, percentiles.length);
    else {
      const asked = new Set(q.aggregates);
      sql = rollupAggregateSql(series, {
        sums: asked.has('stddev')
          ? 'squares'
          : asked.has('sum') || asked.has('mean')
            ? 'sums'
            : 'none',
        counters,
        ends: asked.has('first') || asked.has('last'),
        direct,
        oneDevice: members.devices.length === 1,
      });
      params.grain = BigInt(grain);
      types.grain = BIGINT;
      if (counters) {
        params.start = BigInt(bucketStart(Number(params.since), grain, 0));
        types.start = BIGINT;
      }
    }
    const rows = await query(sql, params, types);
    // Rows come in (series, bucket, metric) order.
    for (const row of rows) {
      const key = String(row.series);
      let buckets = bySeries.get(key);
      if (!buckets) bySeries.set(key, (buckets = []));
      const start = Number(row.bucket);
      let bucket = buckets.at(-1);
      if (bucket?.start !== start) {
        bucket = { start, values: {}, types: {} };
        buckets.push(bucket);
      }
      const metric = String(row.metric);
      bucket.values[metric] = bucketValues(row, q, percentiles);
      bucket.types[metric] = typesOf(row);
    }
    return bySeries;
  }

  function aggregateDevices(q: DevicesAggregateQuery): Promise<Map<string, Bucket[]>> {
    return aggregateSeries(q, 'device', { devices: [...new Set(q.deviceIds)] });
  }

  async function aggregateGroups(q: GroupsAggregateQuery): Promise<Map<string, Bucket[]>> {
    const groupOf = groupOfDevice(q);
    return aggregateSeries(q, 'group', {
      devices: [...groupOf.keys()],
      groups: [...groupOf.values()],
    });
  }

  async function reportingDevices(
    orgId: string,
    deviceIds: readonly string[],
    from: number,
    to: number,
  ): Promise<Set<string>> {
    if (deviceIds.length === 0 || from >= to) return new Set();
    const rows = await query(
      REPORTING_SQL,
      {
        org: orgId,
        devices: listValue([...new Set(deviceIds)]),
        lo: BigInt(Math.ceil(from)),
        to: BigInt(Math.ceil(to)),
      },
      { org: VARCHAR, devices: STRINGS, lo: BIGINT, to: BIGINT },
    );
    return new Set(rows.map((row) => String(row.device_id)));
  }

  /**
   * The last time of the page of `limit` raw points from $lo (rawPageEndSql), undefined when there
   * is none. Rows per point are guessed from the metrics asked, and the guess grows until the
   * rows read hold the page.
   */
  async function rawPageEnd(
    params: Params,
    types: Types,
    filtered: boolean,
    limit: number,
    metrics: number,
  ): Promise<bigint | undefined> {
    for (let rows = limit * Math.max(2, metrics); ; rows *= 4) {
      const [end] = await query(
        rawPageEndSql(filtered),
        { ...params, limit: BigInt(limit), rows: BigInt(rows) },
        { ...types, limit: BIGINT, rows: BIGINT },
      );
      if (typeof end?.last !== 'bigint') return undefined;
      if (end.complete) return end.last;
    }
  }

  /** The bound organization of a delete of one organization's rows; none for every one's. */
  const orgParams = (orgId: string | undefined) =>
    orgId === undefined ? ([{}, {}] as const) : ([{ org: orgId }, { org: VARCHAR }] as const);

  /**
   * Deletes the rows of `sql` in [oldest, cutoff) a day per statement, each its own turn on the
   * write queue: a year of expired data goes in 365 short steps with write batches between them,
   * not in one long one.
   */
  async function deleteByDay(
    sql: string,
    oldest: number | undefined,
    cutoff: number,
    orgId: string | undefined,
  ) {
    const [org, orgTypes] = orgParams(orgId);
    for (let from = oldest ?? cutoff; from < cutoff; from += DAY_MS) {
      const to = Math.min(from + DAY_MS, cutoff);
      await writeQueue(() =>
        writer.run(
          sql,
          { lo: BigInt(from), to: BigInt(to), cutoff: BigInt(cutoff), ...org },
          { lo: BIGINT, to: BIGINT, cutoff: BIGINT, ...orgTypes },
        ),
      );
    }
  }

  /**
   * The points before the cutoff, rounded down to the coarsest rollup's bucket: a point accepted
   * later (ingest refuses older ones) never lands in a bucket whose points are partly gone, so
   * its rollups are recomputed from all of them. The latest values go too (reads never show a
   * value older than the retention), and with them the in-memory copy, refilled on demand.
   */
  async function deleteBefore(cutoff: number, orgId?: string): Promise<void> {
    assertOpen();
    // The rollups of points written before now are computed before any of the points go.
    await freshRollups();
    const scoped = orgId !== undefined;
    const [org, orgTypes] = orgParams(orgId);
    const kept = bucketStart(cutoff, ROLLUP_GRAINS.at(-1)!, 0);
    const [oldest] = await query(oldestSql(scoped), org, orgTypes);
    await deleteByDay(deleteBeforeSql(scoped), numberOrUndefined(oldest?.ts), kept, orgId);
    await writeQueue(async () => {
      // Pending values older than the cutoff go with the table's.
      await flushLatest();
      await writer.run(
        deleteLatestBeforeSql(scoped),
        { to: BigInt(kept), ...org },
        { to: BIGINT, ...orgTypes },
      );
      mirror.clear();
    });
  }

  /** Merges the pending latest values into telemetry_latest; only from the write queue. */
  function flushLatest(): Promise<void> {
    clearTimeout(latestTimer);
    latestTimer = undefined;
    return latestBehind.flush(writer, nextSeq);
  }

  /** After a write: its newest values reach the table within latestFlushMs. */
  function scheduleLatestFlush() {
    if (latestTimer !== undefined || closed) return;
    latestTimer = setTimeout(() => {
      latestTimer = undefined;
      writeQueue(flushLatest).catch((error: unknown) => {
        options.logger?.error({ err: error }, 'latest values flush failed; retried');
        scheduleLatestFlush();
      });
    }, latestFlushMs);
  }

  /** The rollup rows whose whole bucket lies before the cutoff. */
  async function deleteRollupsBefore(cutoff: number, orgId?: string): Promise<void> {
    assertOpen();
    const scoped = orgId !== undefined;
    const [org, orgTypes] = orgParams(orgId);
    const [oldest] = await query(oldestRollupSql(scoped), org, orgTypes);
    for (const table of ROLLUP_TABLES) {
      const sql = deleteRollupsBeforeSql(table, scoped);
      await deleteByDay(sql, numberOrUndefined(oldest?.bucket), cutoff, orgId);
    }
  }

  /**
   * Recomputes the rollups of the buckets marked since the last refresh (duckdb-rollup-writer.ts),
   * queued behind the writes already waiting, so it covers every write that committed before the
   * call. A failure leaves the marks in place for the next refresh.
   */
  function refreshRollupsNow(): Promise<void> {
    clearTimeout(refreshTimer);
    refreshTimer = undefined;
    rollupsDirty = false;
    const run = writeQueue(async () => {
      const started = performance.now();
      const buckets = await refreshRollups(writer);
      const settled = await settleRollups(writer, rollupSettleRows);
      const ms = performance.now() - started;
      refreshDelayMs = Math.max(rollupRefreshMs, ms * (1 / REFRESH_SHARE - 1));
      options.logger?.debug({ buckets, settled, ms }, 'rollups refreshed');
    }).catch((error: unknown) => {
      rollupsDirty = true;
      throw error;
    });
    refreshing = run;
    run
      .finally(() => {
        if (refreshing !== run) return;
        refreshing = undefined;
        // Writes that committed while it ran: their refresh is timed from this one's end.
        if (rollupsDirty) scheduleRollupRefresh();
      })
      .catch(() => undefined);
    return run;
  }

  /** Resolves once the rollups hold every write that committed before the call. */
  function freshRollups(): Promise<void> {
    if (rollupsDirty) return refreshRollupsNow();
    return refreshing ?? Promise.resolve();
  }

  /** After a write: a refresh within refreshDelayMs, unless one is already due or running. */
  function scheduleRollupRefresh() {
    rollupsDirty = true;
    if (refreshTimer !== undefined || refreshing !== undefined || closed) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      refreshRollupsNow().catch((error: unknown) =>
        options.logger?.error(
          { err: error },
          'rollup refresh failed; retried on the next read or write',
        ),
      );
    }, refreshDelayMs);
  }

  function compact(): Promise<number> {
    assertOpen();
    return writeQueue(async () => {
      const upTo = nextSeq;
      const deleted = await compactTelemetry(writer, compactedSeq, upTo);
      compactedSeq = upTo;
      return deleted;
    });
  }

  /** Queued behind the pending writes; at most one at a time, so none pile up under load. */
  function compactInBackground() {
    if (closed) return;
    compactionQueued = true;
    compact()
      .finally(() => {
        compactionQueued = false;
      })
      .then(
        (deleted) => options.logger?.debug({ deleted }, 'telemetry compaction done'),
        (error: unknown) => options.logger?.error({ err: error }, 'telemetry compaction failed'),
      );
  }

  return {
    async write(points) {
      assertOpen();
      // DuckDB takes every valid point (values are typed per row, not per column), so nothing
      // is ever rejected here; a failure throws and the whole batch is retried.
      if (points.length === 0) return { rejected: [] };
      await writeQueue(async () => {
        const written = await writeBatch(writer, points, nextSeq);
        nextSeq += written.rows;
        // Committed: the in-memory copies follow before any other write or fill can run.
        mirror.noteWritten(written.latest);
        latestBehind.note(written.latest);
      });
      scheduleLatestFlush();
      scheduleRollupRefresh();
      if (!compactionQueued && nextSeq - compactedSeq >= compactAfterRows) {
        compactInBackground();
      }
      return { rejected: [] };
    },

    async latest(orgId, deviceIds) {
      assertOpen();
      const result = new Map<string, readonly LatestValue[]>();
      const missing: string[] = [];
      for (const deviceId of new Set(deviceIds)) {
        const values = mirror.get(orgId, deviceId);
        if (values === undefined) missing.push(deviceId);
        else if (values.length > 0) result.set(deviceId, values);
      }
      if (missing.length === 0) return result;
      // On the write queue: no batch can commit between reading the table and installing what
      // was read (duckdb-latest-mirror.ts), and the table holds every write first.
      const filled = await writeQueue(async () => {
        await flushLatest();
        return mirror.fill(orgId, missing, await readLatest(orgId, missing));
      });
      for (const [deviceId, values] of filled) {
        if (values.length > 0) result.set(deviceId, values);
      }
      return result;
    },

    aggregateDevices,
    aggregateGroups,
    reportingDevices,

    async raw(q) {
      const limit = Math.floor(q.limit);
      if (limit <= 0) return [];
      // Timestamps are integer ms, so "ts > after" is "ts >= floor(after) + 1".
      const lo = q.after === undefined ? q.from : Math.max(q.from, Math.floor(q.after) + 1);
      if (lo >= q.to) return [];
      const params: Params = {
        org: q.orgId,
        device: q.deviceId,
        lo: BigInt(Math.ceil(lo)),
        to: BigInt(Math.ceil(q.to)),
      };
      const types: Types = { org: VARCHAR, device: VARCHAR, lo: BIGINT, to: BIGINT };
      const filtered = q.metrics.length > 0;
      if (filtered) {
        params.metrics = listValue(q.metrics);
        types.metrics = STRINGS;
      }
      const last = await rawPageEnd(params, types, filtered, limit, q.metrics.length);
      if (last === undefined) return [];
      params.to = last + 1n;
      const rows = await query(rawSql(filtered), params, types);
      const points: TelemetryPoint[] = [];
      for (const row of rows) {
        const ts = Number(row.ts);
        let point = points.at(-1);
        if (point?.ts !== ts) {
          point = { orgId: q.orgId, deviceId: q.deviceId, ts, metrics: {} };
          points.push(point);
        }
        point.metrics[String(row.metric)] = valueOf(row.num, row.bool, row.str);
      }
      // Rows come by (ts, metric) in DuckDB's byte order, which is code-unit order for the names
      // ingest admits; metricsByName makes sure for any other name.
      for (const point of points) point.metrics = metricsByName(point.metrics);
      return points;
    },

    deleteBefore,
    deleteRollupsBefore,

    async ping() {
      await read((connection) => connection.run('SELECT 1'));
    },

    compact,

    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(refreshTimer);
      // Let queued writes and running reads finish before the connections go away, and the
      // rollups catch up with the writes (a refresh that fails here is done at the next open).
      await freshRollups().catch((error: unknown) =>
        options.logger?.error({ err: error }, 'rollup refresh failed at close'),
      );
      // What fails here is recovered at the next open (recoverLatest).
      await writeQueue(flushLatest).catch((error: unknown) =>
        options.logger?.error({ err: error }, 'latest values flush failed at close'),
      );
      await readLimit(() => undefined);
      while (readLimit.activeCount > 0 || readLimit.pendingCount > 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      mirror.clear();
      statements.clear();
      for (const connection of [writer, ...readers]) connection.closeSync();
      instance.closeSync();
    },
  };
}
