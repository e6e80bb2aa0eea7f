import type {
  AggregateQuery,
  Bucket,
  LatestValue,
  RawQuery,
  TelemetryPoint,
} from '../domain/telemetry.js';

/** An AggregateQuery over several devices of one organization. */
export type DevicesAggregateQuery = Omit<AggregateQuery, 'deviceId'> & {
  deviceIds: readonly string[];
};

/** Devices whose points are pooled into one series. */
export interface DeviceGroup {
  key: string;
  deviceIds: readonly string[];
}

/** An AggregateQuery over groups of devices of one organization; each device in at most one group. */
export type GroupsAggregateQuery = Omit<AggregateQuery, 'deviceId'> & {
  groups: readonly DeviceGroup[];
};

/** A point the store refused for good: writing it again can never succeed. */
export interface RejectedPoint {
  /** The very object passed to `write` (compared by identity by the callers). */
  point: TelemetryPoint;
  /** The store's own words, e.g. InfluxDB's field type conflict message. */
  reason: string;
}

export interface WriteResult {
  /** Empty when every point is stored. Every point not listed here is durable. */
  rejected: RejectedPoint[];
}

/** Where telemetry points live: DuckDB embedded, InfluxDB in production. */
export interface TelemetryStore {
  /**
   * Durable when the promise resolves, except the points listed as rejected (refused for good,
   * e.g. a field type conflict), with the rollups of the buckets the points fall in
   * (adapters/telemetry-store/rollup-plan.ts) recomputed from the stored points, so a batch
   * written again, a duplicate, a late or an out-of-order point leaves them equal to the points'
   * own aggregates; nothing is dropped without being listed. Throws when the store
   * cannot take the batch now (unreachable, unauthorized, missing database): retry later.
   * Idempotent on (deviceId, ts); later writes win per metric.
   */
  write(points: readonly TelemetryPoint[]): Promise<WriteResult>;
  /**
   * Last value of every metric, for each device (one round trip for the whole list). A device
   * with no values may be absent. The lists may be shared (cached): callers must not change them.
   */
  latest(orgId: string, deviceIds: readonly string[]): Promise<Map<string, readonly LatestValue[]>>;
  /**
   * Each device's non-empty buckets in ascending time, for one or several devices of one
   * organization in one round trip (a page of devices asking the same question): a device's
   * buckets do not depend on which other devices were asked with it. A device without buckets
   * may be absent from the map.
   */
  aggregateDevices(query: DevicesAggregateQuery): Promise<Map<string, Bucket[]>>;
  /**
   * Each group's non-empty buckets in ascending time, pooled: a bucket's aggregates are over every
   * point of every device of the group in it (the MEAN is the exact sum of all of them over their
   * count, not a mean of means; percentiles are nearest-rank over all of them). FIRST and LAST are
   * not asked of groups (throws RangeError). A group without buckets may be absent. One round trip.
   */
  aggregateGroups(query: GroupsAggregateQuery): Promise<Map<string, Bucket[]>>;
  /** The devices among `deviceIds` with at least one point in [from, to). One round trip. */
  reportingDevices(
    orgId: string,
    deviceIds: readonly string[],
    from: number,
    to: number,
  ): Promise<Set<string>>;
  /** Points in ascending time, at most `limit`, metrics restricted to those asked for. */
  raw(query: RawQuery): Promise<TelemetryPoint[]>;
  /**
   * Deletes the points older than `cutoff` (epoch ms) of one organization, or of every one, for
   * the raw retention (domain/retention.ts); the rollups stay. May take a while on a large store,
   * but never holds writes back for long. Idempotent.
   */
  deleteBefore(cutoff: number, orgId?: string): Promise<void>;
  /** Deletes the rollup rows older than `cutoff` of one organization, or of every one. */
  deleteRollupsBefore(cutoff: number, orgId?: string): Promise<void>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
