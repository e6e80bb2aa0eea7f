import type { TelemetryPoint } from '../../domain/telemetry.js';
import type { createInfluxHttp } from './influx-http.js';

export type InfluxFieldType = 'float' | 'integer' | 'string' | 'boolean';

const REFRESH_MS = 10_000;

/**
 * The measurement's field keys and types (SHOW FIELD KEYS), cached briefly: queries need them
 * to aggregate only numeric fields and to ask LAST() of every metric. Fields this process wrote
 * are known at once; others appear within REFRESH_MS.
 */
export function createInfluxFieldTypes(
  http: ReturnType<typeof createInfluxHttp>,
  measurement: string,
) {
  let known = new Map<string, InfluxFieldType>();
  let loadedAt = 0;
  let loading: Promise<void> | undefined;

  async function refresh() {
    const [seriesList] = await http.query(`SHOW FIELD KEYS FROM ${measurement}`, {});
    const fresh = new Map<string, InfluxFieldType>();
    for (const series of seriesList ?? []) {
      for (const [key, type] of series.values) fresh.set(String(key), type as InfluxFieldType);
    }
    known = fresh;
    loadedAt = Date.now();
  }

  function reload(): Promise<void> {
    loading ??= refresh().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  return {
    async all(): Promise<Map<string, InfluxFieldType>> {
      if (Date.now() - loadedAt > REFRESH_MS) await reload();
      return known;
    },
    async forMetrics(metrics: readonly string[]): Promise<Map<string, InfluxFieldType>> {
      if (Date.now() - loadedAt > REFRESH_MS || metrics.some((metric) => !known.has(metric))) {
        await reload();
      }
      return known;
    },
    noteWritten(points: readonly TelemetryPoint[]) {
      for (const point of points) {
        for (const [metric, value] of Object.entries(point.metrics)) {
          if (known.has(metric)) continue;
          known.set(
            metric,
            typeof value === 'number' ? 'float' : typeof value === 'boolean' ? 'boolean' : 'string',
          );
        }
      }
    },
  };
}
