import type { LatestValue, TelemetryPoint } from '../../domain/telemetry.js';

/** One device's newest value of one metric. */
export interface LatestRow {
  orgId: string;
  deviceId: string;
  metric: string;
  ts: number;
  value: LatestValue['value'];
}

/**
 * The batch's newest value of each (org, device, metric); at an equal ts the later point wins.
 * What a write merges into the latest values kept beside the points: DuckDB's telemetry_latest
 * and its in-memory copy, and the Redis cache. Nested maps rather than a joined string key: no
 * separator can collide, and no key is built per row (this runs for every row of every batch).
 */
export function newestPerMetric(points: readonly TelemetryPoint[]): LatestRow[] {
  const byOrg = new Map<string, Map<string, Map<string, LatestRow>>>();
  const newest: LatestRow[] = [];
  for (const point of points) {
    let byDevice = byOrg.get(point.orgId);
    if (!byDevice) byOrg.set(point.orgId, (byDevice = new Map()));
    let byMetric = byDevice.get(point.deviceId);
    if (!byMetric) byDevice.set(point.deviceId, (byMetric = new Map()));
    for (const metric in point.metrics) {
      const value = point.metrics[metric]!;
      const known = byMetric.get(metric);
      if (!known) {
        const row = {
          orgId: point.orgId,
          deviceId: point.deviceId,
          metric,
          ts: point.ts,
          value,
        };
        byMetric.set(metric, row);
        newest.push(row);
      } else if (point.ts >= known.ts) {
        known.ts = point.ts;
        known.value = value;
      }
    }
  }
  return newest;
}
