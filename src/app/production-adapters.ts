import { createKafkaEventBus } from '../adapters/event-bus/kafka-event-bus.js';
import { createPostgresDatabase } from '../adapters/prisma/postgres.js';
import { createRedisLiveHub } from '../adapters/live-hub/redis-live-hub.js';
import { createInfluxTelemetryStore } from '../adapters/telemetry-store/influx-telemetry-store.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * Production adapters from configuration. config.ts has already refused to start production
 * without these settings; the checks here only narrow the types.
 */
function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`${name} is not configured`);
  return value;
}

export const productionAdapters = {
  /** Devices, API keys and alerts on one pool per process. */
  database: (config: Config) =>
    createPostgresDatabase({ url: required(config.postgres, 'DATABASE_URL').url }),
  telemetry: (config: Config, logger: Logger) =>
    createInfluxTelemetryStore({ ...required(config.influx, 'INFLUX_URL'), logger }),
  bus: (config: Config, logger: Logger) =>
    createKafkaEventBus({ ...required(config.kafka, 'KAFKA_BROKERS'), logger }),
  live: (config: Config, logger: Logger) =>
    createRedisLiveHub({ url: required(config.redis, 'REDIS_URL').url, logger }),
};
