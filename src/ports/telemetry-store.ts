import type {
  AggregateQuery,
  Bucket,
  LatestValue,
  RawQuery,
  TelemetryPoint,
} from '../domain/telemetry.js';

/** Where telemetry points live: DuckDB embedded, InfluxDB in production. */
export interface TelemetryStore {
  /** Durable when the promise resolves. Idempotent on (deviceId, ts); later writes win per metric. */
  write(points: readonly TelemetryPoint[]): Promise<void>;
  /** Last value of every metric, for each device (one round trip for the whole list). */
  latest(orgId: string, deviceIds: readonly string[]): Promise<Map<string, LatestValue[]>>;
  /** Non-empty buckets in ascending time. */
  aggregate(query: AggregateQuery): Promise<Bucket[]>;
  /** Points in ascending time, at most `limit`, metrics restricted to those asked for. */
  raw(query: RawQuery): Promise<TelemetryPoint[]>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
