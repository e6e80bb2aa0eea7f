import { createKafkaEventBus } from '../adapters/event-bus/kafka-event-bus.js';
import { createPostgresDatabase } from '../adapters/prisma/postgres.js';
import { createRedisLiveHub } from '../adapters/live-hub/redis-live-hub.js';
import { createInfluxTelemetryStore } from '../adapters/telemetry-store/influx-telemetry-store.js';
import { configuredSecretSealer } from '../auth/sealed-secrets.js';
import type { EngineSettings } from '../config/index.js';
import type { NotificationSettings } from '../config/notifications.js';
import type { Logger } from '../logger.js';

/**
 * Production adapters, each from its engine's section: a role's config has the section of every
 * engine the role uses (src/config/index.ts), so nothing here checks for one. Each section carries
 * its engine's TLS and credentials (src/config/{database,redis,kafka,influx}.ts): the database and
 * Redis URLs hold their CA file (sslrootcert, tls_ca_file), the Kafka and InfluxDB sections have
 * theirs beside the address; src/adapters/connections/ turns them into the clients' options and
 * a refused connection into "<engine>: <cause>".
 */
export const productionAdapters = {
  /**
   * Devices, API keys, alerts and notifications on one pool per process; channel secrets sealed
   * with NOTIFICATION_SECRETS_KEY, which the roles that touch them (api, pipeline) require.
   */
  database: (
    config: Pick<EngineSettings, 'postgres'> & {
      heartbeatTimeoutSeconds: number;
      notifications: NotificationSettings;
    },
    logger: Logger,
  ) =>
    createPostgresDatabase({
      url: config.postgres.url,
      heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
      channelSecrets: configuredSecretSealer(config.notifications),
      onIdleConnectionError: (err) =>
        logger.warn({ err }, 'PostgreSQL closed an idle connection; the pool opens another'),
    }),
  telemetry: (
    config: Pick<EngineSettings, 'influx'> & { storeQueryTimeoutMs: number },
    logger: Logger,
  ) =>
    createInfluxTelemetryStore({
      ...config.influx,
      queryTimeoutMs: config.storeQueryTimeoutMs,
      logger,
    }),
  /** Topics created with KAFKA_PARTITIONS partitions; TLS and SASL as the section says. */
  bus: (config: Pick<EngineSettings, 'kafka'>, logger: Logger) =>
    createKafkaEventBus({ ...config.kafka, logger }),
  live: (config: Pick<EngineSettings, 'redis'>, logger: Logger) =>
    createRedisLiveHub({ url: config.redis.url, logger }),
};
