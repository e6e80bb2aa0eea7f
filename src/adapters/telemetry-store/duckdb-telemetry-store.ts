import {
  BIGINT,
  DuckDBInstance,
  LIST,
  VARCHAR,
  listValue,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import pLimit from 'p-limit';
import type {
  Aggregate,
  AggregateValues,
  Bucket,
  LatestValue,
  MetricValue,
  TelemetryPoint,
} from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import { compactTelemetry, readCompactedSeq } from './duckdb-telemetry-compaction.js';
import {
  LATEST_SQL,
  SCHEMA_SQL,
  STAGING_SQL,
  aggregateSql,
  rawSql,
} from './duckdb-telemetry-sql.js';
import { writeBatch } from './duckdb-telemetry-writer.js';

export interface DuckDbTelemetryStoreOptions {
  /** Database file, e.g. `${dataDir}/telemetry.duckdb`; ':memory:' for a throwaway store. */
  path: string;
  /** Connections serving reads in parallel (writes have their own). */
  readConnections?: number;
  /** Compact after this many rows were appended since the last compaction. */
  compactAfterRows?: number;
  logger?: Logger;
}

export interface DuckDbTelemetryStore extends TelemetryStore {
  /** Deletes rows superseded by later writes; reads never need it. Returns rows deleted. */
  compact(): Promise<number>;
}

type Params = Record<string, DuckDBValue>;
type Types = Record<string, DuckDBType>;

const STRINGS = LIST(VARCHAR);

function valueOf(num: unknown, bool: unknown, str: unknown): MetricValue {
  if (typeof num === 'number') return num;
  if (typeof bool === 'boolean') return bool;
  return String(str);
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
  const readers = await Promise.all(
    Array.from({ length: options.readConnections ?? 4 }, () => instance.connect()),
  );
  const idleReaders = [...readers];
  const writeQueue = pLimit(1);
  const readLimit = pLimit(readers.length);
  const compactAfterRows = options.compactAfterRows ?? 5_000_000;

  const seqRow = await writer.runAndReadAll('SELECT coalesce(max(seq), -1) + 1 FROM telemetry');
  let nextSeq = Number(seqRow.getRowsJS()[0]?.[0] ?? 0);
  let compactedSeq = await readCompactedSeq(writer);
  let closed = false;
  let compactionQueued = false;

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

  async function query(sql: string, params: Params, types: Types) {
    return read(async (connection) => {
      const reader = await connection.runAndReadAll(sql, params, types);
      return reader.getRowObjectsJS();
    });
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
        nextSeq += await writeBatch(writer, points, nextSeq);
      });
      if (!compactionQueued && nextSeq - compactedSeq >= compactAfterRows) {
        compactInBackground();
      }
      return { rejected: [] };
    },

    async latest(orgId, deviceIds) {
      const result = new Map<string, LatestValue[]>();
      if (deviceIds.length === 0) return result;
      const rows = await query(
        LATEST_SQL,
        { org: orgId, devices: listValue([...deviceIds]) },
        { org: VARCHAR, devices: STRINGS },
      );
      for (const row of rows) {
        const deviceId = String(row.device_id);
        const values = result.get(deviceId) ?? [];
        values.push({
          metric: String(row.metric),
          value: valueOf(row.num, row.bool, row.str),
          ts: Number(row.ts),
        });
        result.set(deviceId, values);
      }
      return result;
    },

    async aggregate(q) {
      if (!Number.isSafeInteger(q.every) || q.every <= 0) {
        throw new RangeError(`bucket width must be a positive integer of ms, got ${q.every}`);
      }
      if (q.metrics.length === 0 || q.aggregates.length === 0 || q.from >= q.to) return [];
      const rows = await query(
        aggregateSql(q.aggregates),
        {
          org: q.orgId,
          device: q.deviceId,
          lo: BigInt(Math.ceil(q.from)),
          to: BigInt(Math.ceil(q.to)),
          every: BigInt(q.every),
          metrics: listValue(q.metrics),
        },
        { org: VARCHAR, device: VARCHAR, lo: BIGINT, to: BIGINT, every: BIGINT, metrics: STRINGS },
      );
      const buckets: Bucket[] = [];
      for (const row of rows) {
        const start = Number(row.bucket);
        let bucket = buckets.at(-1);
        if (bucket?.start !== start) {
          bucket = { start, values: {} };
          buckets.push(bucket);
        }
        const values: AggregateValues = {};
        for (const name of q.aggregates as Aggregate[]) {
          const value = row[name];
          values[name] = value === null || value === undefined ? null : Number(value);
        }
        bucket.values[String(row.metric)] = values;
      }
      return buckets;
    },

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
        limit: BigInt(limit),
      };
      const types: Types = { org: VARCHAR, device: VARCHAR, lo: BIGINT, to: BIGINT, limit: BIGINT };
      if (q.metrics.length > 0) {
        params.metrics = listValue(q.metrics);
        types.metrics = STRINGS;
      }
      const rows = await query(rawSql(q.metrics.length > 0), params, types);
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
      return points;
    },

    async ping() {
      await read((connection) => connection.run('SELECT 1'));
    },

    compact,

    async close() {
      if (closed) return;
      closed = true;
      // Let queued writes and running reads finish before the connections go away.
      await writeQueue(() => undefined);
      await readLimit(() => undefined);
      while (readLimit.activeCount > 0 || readLimit.pendingCount > 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (const connection of [writer, ...readers]) connection.closeSync();
      instance.closeSync();
    },
  };
}
