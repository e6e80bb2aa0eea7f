/**
 * A private production environment on the real services: a fresh PostgreSQL database (migrated),
 * an InfluxDB database, Kafka topics and a consumer group of its own, a Redis key prefix.
 */
import pg from 'pg';
import { createPostgresDatabase, migratePostgres } from '../../src/adapters/prisma/postgres.js';
import { measurementOf } from '../../src/adapters/telemetry-store/influx-layout.js';
import { signUserToken } from '../../src/auth/jwt.js';
import { generateDeviceToken, hashDeviceToken } from '../../src/auth/device-tokens.js';
import { findService, uniqueSuffix } from './services.js';
import { newSecretsKey } from '../../src/auth/sealed-secrets.js';

export async function findProductionServices() {
  const [postgres, redis, kafka, influx] = await Promise.all([
    findService('postgres'),
    findService('redis'),
    findService('kafka'),
    findService('influx'),
  ]);
  if (!postgres || !redis || !kafka || !influx) return undefined;
  return { postgres, redis, kafka, influx };
}

export type ProductionServices = NonNullable<Awaited<ReturnType<typeof findProductionServices>>>;

async function influxQuery(influxUrl: string, q: string) {
  const response = await fetch(`${influxUrl}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q }),
  });
  if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
}

export async function createProductionStack(services: ProductionServices) {
  const suffix = uniqueSuffix();
  const database = `iot_test_${suffix}`;
  const admin = new pg.Client({
    connectionString: new URL('/postgres', services.postgres).toString(),
  });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const databaseUrl = new URL(`/${database}`, services.postgres).toString();
  await migratePostgres(databaseUrl);
  await influxQuery(services.influx, `CREATE DATABASE "${database}"`);

  const jwt = {
    secret: `test-secret-${suffix}-0123456789abcdef0123`,
    issuer: 'iot-analytics',
    audience: 'iot-analytics-api',
  };
  const env: Record<string, string> = {
    JWT_SECRET: jwt.secret,
    NOTIFICATION_SECRETS_KEY: newSecretsKey(),
    DATABASE_URL: databaseUrl,
    REDIS_URL: services.redis,
    KAFKA_BROKERS: services.kafka,
    KAFKA_TOPIC: `telemetry-${suffix}`,
    KAFKA_DEAD_LETTER_TOPIC: `telemetry-${suffix}.dead-letter`,
    KAFKA_GROUP_ID: `pipeline-${suffix}`,
    INFLUX_URL: services.influx,
    INFLUX_DATABASE: database,
    LAST_SEEN_FLUSH_MS: '200',
    // Load and fault tests measure delivery, not rate limiting (tested on its own).
    RATE_LIMIT_DEVICE_PER_SECOND: '10000',
    RATE_LIMIT_DEVICE_BURST: '10000',
  };
  const organizationId = crypto.randomUUID();
  const metadata = await createPostgresDatabase({ url: databaseUrl });
  const { devices } = metadata;
  await devices.ensureOrganization(organizationId, `org ${suffix}`);
  const adminToken = await signUserToken(
    jwt,
    { subject: 'test-admin', organizationId, role: 'admin' },
    '1h',
  );

  // The InfluxDB measurement holding the organization's points.
  const measurement = measurementOf(organizationId);

  return {
    env,
    database,
    measurement,
    organizationId,
    adminToken,
    /** Signs the processes' user tokens: a test's other organizations (tokens.ts userToken). */
    jwt,
    devices,
    /**
     * Registers a device directly in the repository, in the stack's organization unless another
     * (already ensured) is given; returns its id and token.
     */
    async registerDevice(externalId: string, inOrganization = organizationId) {
      const token = generateDeviceToken();
      const device = await devices.createDevice(
        { organizationId: inOrganization, externalId, name: externalId, type: 'test' },
        hashDeviceToken(token),
      );
      return { id: device.id, token };
    },
    /** Counts distinct stored points of a device (of the stack's organization) from InfluxDB. */
    async countStoredPoints(
      deviceId: string,
      metric = 'seq',
      inMeasurement = measurement,
    ): Promise<number> {
      const response = await fetch(`${services.influx}/query`, {
        method: 'POST',
        body: new URLSearchParams({
          db: database,
          q: `SELECT COUNT("${metric}") FROM "${inMeasurement}" WHERE device_id::tag = $d`,
          params: JSON.stringify({ d: deviceId }),
        }),
      });
      const body = (await response.json()) as {
        results: { series?: { values: [string, number][] }[] }[];
      };
      return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    },
    /**
     * Every stored point of a device with its time (epoch ms) and the load's `seq` and `value`
     * fields (test/support/load.ts), straight from InfluxDB. InfluxDB keeps one point per series
     * and time, so a duplicate delivery can never show as a second point: what a test can check
     * is that each point holds exactly what was sent for its time.
     */
    async storedPoints(deviceId: string): Promise<{ ts: number; seq: number; value: number }[]> {
      const response = await fetch(`${services.influx}/query`, {
        method: 'POST',
        body: new URLSearchParams({
          db: database,
          epoch: 'ms',
          q: `SELECT "seq", "value" FROM "${measurement}" WHERE device_id::tag = $d`,
          params: JSON.stringify({ d: deviceId }),
        }),
      });
      if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
      const body = (await response.json()) as {
        results: { error?: string; series?: { values: [number, number, number][] }[] }[];
      };
      if (body.results[0]?.error) throw new Error(`InfluxDB: ${body.results[0].error}`);
      return (body.results[0]?.series?.[0]?.values ?? []).map(([ts, seq, value]) => ({
        ts,
        seq,
        value,
      }));
    },
    async cleanup() {
      await metadata.close();
      await influxQuery(services.influx, `DROP DATABASE "${database}"`).catch(() => undefined);
      const client = new pg.Client({
        connectionString: new URL('/postgres', services.postgres).toString(),
      });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
    },
  };
}
