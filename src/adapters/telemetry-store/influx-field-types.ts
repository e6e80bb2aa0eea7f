import type { TelemetryPoint } from '../../domain/telemetry.js';
import { quoteIdentifier, type createInfluxHttp } from './influx-http.js';

export type InfluxFieldType = 'float' | 'integer' | 'string' | 'boolean';

const REFRESH_MS = 10_000;
/**
 * A query naming a metric we do not know reloads the field keys, but at most this often: asking
 * for a metric that does not exist must not cost a SHOW FIELD KEYS on every query.
 */
const MIN_RELOAD_MS = 1_000;

/**
 * One measurement's field keys and their types (SHOW FIELD KEYS), cached briefly: queries need
 * them to read each type of a metric (`"m"::float`, `"m"::string`, ...) and to ask LAST() of every
 * metric. A field has one type per shard, so a metric whose devices changed what they send has
 * several, each in its own shards, and SHOW FIELD KEYS lists it once per type. Fields (and types)
 * this process wrote are known at once; others appear within REFRESH_MS (or MIN_RELOAD_MS when a
 * query asks for them).
 */
export function createInfluxFieldTypes(
  http: ReturnType<typeof createInfluxHttp>,
  measurement: string,
  now: () => number = Date.now,
) {
  let known = new Map<string, Set<InfluxFieldType>>();
  let loadedAt = -Infinity;
  let loading: Promise<void> | undefined;

  async function refresh() {
    const [seriesList] = await http.query(
      `SHOW FIELD KEYS FROM ${quoteIdentifier(measurement)}`,
      {},
    );
    const fresh = new Map<string, Set<InfluxFieldType>>();
    for (const series of seriesList ?? []) {
      for (const [key, type] of series.values) {
        const types = fresh.get(String(key)) ?? new Set();
        fresh.set(String(key), types.add(type as InfluxFieldType));
      }
    }
    known = fresh;
    loadedAt = now();
  }

  function reload(): Promise<void> {
    loading ??= refresh().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  return {
    async all(): Promise<ReadonlyMap<string, ReadonlySet<InfluxFieldType>>> {
      if (now() - loadedAt > REFRESH_MS) await reload();
      return known;
    },
    async forMetrics(
      metrics: readonly string[],
    ): Promise<ReadonlyMap<string, ReadonlySet<InfluxFieldType>>> {
      const age = now() - loadedAt;
      const unknown = metrics.some((metric) => !known.has(metric));
      if (age > REFRESH_MS || (unknown && age > MIN_RELOAD_MS)) await reload();
      return known;
    },
    /** Points InfluxDB stored: their new fields and types are known without a reload. */
    noteWritten(points: readonly TelemetryPoint[]) {
      for (const point of points) {
        for (const [metric, value] of Object.entries(point.metrics)) {
          const type =
            typeof value === 'number' ? 'float' : typeof value === 'boolean' ? 'boolean' : 'string';
          const types = known.get(metric);
          if (!types) known.set(metric, new Set([type]));
          else types.add(type);
        }
      }
    },
  };
}

export type InfluxFieldTypes = ReturnType<typeof createInfluxFieldTypes>;
