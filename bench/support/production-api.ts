/**
 * The production query path for bench/graphql-page.ts: an `api` process (src/main.ts api) on the
 * machine's PostgreSQL, InfluxDB and Redis, with a database, an InfluxDB database and an
 * organization of its own (test/support/production-stack.ts). Devices are registered in the
 * repository and their telemetry written straight into InfluxDB: the query path is what is
 * measured, so ingest, Kafka and the pipeline are left out; the api's Redis latest-values cache
 * fills itself from InfluxDB on the first page read.
 */
import { createInfluxTelemetryStore } from '../../src/adapters/telemetry-store/influx-telemetry-store.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import {
  createProductionStack,
  findProductionServices,
} from '../../test/support/production-stack.js';
import { startRole } from '../../test/support/processes.js';

export async function startProductionApi(options: {
  devices: number;
  pointsPerDevice: number;
  env: Record<string, string>;
  /** Node options for the api process, e.g. ['--cpu-prof', '--cpu-prof-dir=…']. */
  nodeArgs?: string[];
}) {
  const services = await findProductionServices();
  if (!services) {
    throw new Error(
      'production target: PostgreSQL, Redis, Kafka and InfluxDB must be reachable (npm run services:up)',
    );
  }
  const stack = await createProductionStack(services);
  try {
    const baseTs = Date.UTC(2026, 0, 1);
    const points: TelemetryPoint[] = [];
    for (let i = 0; i < options.devices; i++) {
      const device = await stack.registerDevice(`bench-${i}`);
      for (let seq = 0; seq < options.pointsPerDevice; seq++) {
        points.push({
          orgId: stack.organizationId,
          deviceId: device.id,
          ts: baseTs + seq,
          metrics: { seq, value: seq % 97 },
        });
      }
    }
    const influx = createInfluxTelemetryStore({ url: services.influx, database: stack.database });
    const { rejected } = await influx.write(points);
    if (rejected.length > 0) throw new Error(`InfluxDB refused ${rejected.length} points`);
    const api = await startRole('api', { ...stack.env, ...options.env }, 60_000, options.nodeArgs);
    return {
      url: `${api.baseUrl}/graphql`,
      headers: { authorization: `Bearer ${stack.adminToken}` },
      /** What a same-work baseline reads: the api's database, Redis and organization. */
      databaseUrl: stack.env.DATABASE_URL!,
      redisUrl: stack.env.REDIS_URL!,
      organizationId: stack.organizationId,
      async stop() {
        await api.stop();
        await stack.cleanup();
      },
    };
  } catch (error) {
    await stack.cleanup();
    throw error;
  }
}
