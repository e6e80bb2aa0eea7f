import { createRedisMetadataVersions } from '../adapters/device-metadata-versions/redis-metadata-versions.js';
import { withDeviceMetadataCache } from '../adapters/device-repository/device-metadata-cache.js';
import { createRedisRateLimiter } from '../adapters/rate-limiter/redis-rate-limiter.js';
import { withRedisLatestCache } from '../adapters/telemetry-store/redis-latest-cache.js';
import type {
  ApiConfig,
  Config,
  EngineSettings,
  IngestConfig,
  PipelineConfig,
} from '../config/index.js';
import { createRateLimitPolicy } from '../http/rate-limit-policy.js';
import { createServiceServer } from '../http/service-server.js';
import { createIngestHandler } from '../ingest/handler.js';
import { createMqttIngest } from '../ingest/mqtt/mqtt-ingest.js';
import type { Logger } from '../logger.js';
import { serveMetrics, type MetricsEndpoint } from '../metrics/metrics-server.js';
import { createPipeline } from '../pipeline/pipeline.js';
import { createNotificationSender } from '../notifications/notification-sender.js';
import { startRetention } from '../pipeline/retention.js';
import { createGraphQLApi } from './graphql-api.js';
import { publishingOnAccept, storedThroughOn } from './live-on-accept.js';
import { productionAdapters as adapters } from './production-adapters.js';
import { resealChannelSecrets } from './reseal-channel-secrets.js';

export interface RunningProcess {
  /** Resolves with the address once the process serves. */
  start(): Promise<{ port: number }>;
  /** Graceful: stop accepting, drain, flush, commit, close clients. */
  stop(): Promise<void>;
}

/**
 * `running` with its Prometheus `/metrics` on the role's own port (src/config/metrics.ts), opened
 * before the process serves (a port it cannot have stops the start) and closed after it stopped.
 */
function withMetrics(
  running: RunningProcess,
  config: Pick<Config, 'metrics' | 'host'>,
  role: 'api' | 'ingest' | 'pipeline',
  logger: Logger,
): RunningProcess {
  let metrics: MetricsEndpoint | undefined;
  return {
    async start() {
      metrics = await serveMetrics({
        settings: config.metrics,
        role,
        host: config.host,
        required: true,
        logger,
      });
      return running.start();
    },
    async stop() {
      await running.stop();
      await metrics?.close();
    },
  };
}

/** Token buckets in Redis, shared by every replica (they fail open while Redis is down). */
function createRateLimits(
  config: Pick<EngineSettings, 'redis'> & Pick<Config, 'rateLimits'>,
  logger: Logger,
) {
  const limiter = createRedisRateLimiter({
    url: config.redis.url,
    logger: logger.child({ component: 'rate-limiter' }),
  });
  return { limiter, policy: createRateLimitPolicy({ limiter, settings: config.rateLimits }) };
}

/**
 * InfluxDB behind the Redis latest-values cache, on a connection of its own (closed with the
 * store): the pipeline's writes keep the cache current, the api's `Device.latest` reads it.
 */
function createTelemetryStore(
  config: Pick<EngineSettings, 'redis' | 'influx'> & { storeQueryTimeoutMs: number },
  logger: Logger,
) {
  return withRedisLatestCache(adapters.telemetry(config, logger.child({ component: 'influx' })), {
    redis: config.redis.url,
    logger: logger.child({ component: 'latest-cache' }),
  });
}

/**
 * `api`: GraphQL over HTTP and WebSocket, and `GET /v1/export`; any number of replicas behind a
 * load balancer.
 */
export async function createApiProcess(config: ApiConfig, logger: Logger): Promise<RunningProcess> {
  const database = await adapters.database(config, logger);
  const { apiKeys, alerts, notifications } = database;
  await resealChannelSecrets(notifications, logger);
  // Every replica checks the organization's metadata version in Redis before serving from memory.
  const metadataVersions = createRedisMetadataVersions({
    url: config.redis.url,
    logger: logger.child({ component: 'device-cache' }),
  });
  const devices = withDeviceMetadataCache(database.devices, {
    ...config.deviceCache,
    versions: metadataVersions,
  });
  const telemetry = createTelemetryStore(config, logger);
  const live = await adapters.live(config, logger.child({ component: 'redis' }));
  // Only asked how far the pipeline got (a resumed subscription's handover): nothing published.
  const bus = await adapters.bus(config, logger.child({ component: 'kafka' }));
  const rateLimits = createRateLimits(config, logger);
  const api = createGraphQLApi({
    config,
    logger,
    services: {
      devices,
      telemetry,
      live,
      apiKeys,
      alerts,
      notifications,
      storedThrough: storedThroughOn(bus, config.storeQueryTimeoutMs),
    },
    jwtSecret: config.auth.jwtSecret,
    rateLimits: rateLimits.policy,
  });
  const http = createServiceServer({
    routes: api.routes,
    fallback: api.handler,
    readiness: [
      { name: 'postgres', check: () => database.ping() },
      { name: 'influxdb', check: () => telemetry.ping() },
      { name: 'redis', check: () => live.ping() },
    ],
    logger,
  });
  const websocket = api.attachWebSocket(http.server);
  return withMetrics(
    {
      start: () => http.listen(config.ports.api, config.host),
      async stop() {
        await websocket.close();
        await http.close(config.shutdownTimeoutMs);
        await rateLimits.limiter.close();
        // Pending last-used times go out before the pool closes.
        await api.close();
        await Promise.all([
          live.close(),
          bus.close(),
          telemetry.close(),
          metadataVersions.close(),
          database.close(),
        ]);
      },
    },
    config,
    'api',
    logger,
  );
}

/**
 * `ingest`: device auth, validation, and a 202 (or an MQTT PUBACK) only once Kafka has
 * acknowledged the points, which then go live on Redis. Replicas share nothing for MQTT (devices only publish), so any number
 * can sit behind a TCP load balancer.
 */
export async function createIngestProcess(
  config: IngestConfig,
  logger: Logger,
): Promise<RunningProcess> {
  const database = await adapters.database(config, logger);
  const bus = await adapters.bus(config, logger.child({ component: 'kafka' }));
  const live = await adapters.live(config, logger.child({ component: 'redis' }));
  const rateLimits = createRateLimits(config, logger);
  const ingestRules = {
    devices: database.devices,
    // Points go live as Kafka acknowledges them (live-on-accept.ts), not after the pipeline.
    bus: publishingOnAccept(bus, live, logger),
    limits: config.ingest,
    rawRetention: config.retention.raw,
    rateLimiter: rateLimits.policy,
    logger,
  };
  const http = createServiceServer({
    routes: { '/v1/telemetry': createIngestHandler(ingestRules) },
    readiness: [
      { name: 'postgres', check: () => database.ping() },
      { name: 'kafka', check: () => bus.ping() },
      {
        name: 'mqtt',
        check: async () => {
          // Checked only once serving: `mqtt` is made below, on this server.
          if (!mqtt.listening()) throw new Error('an MQTT listener is closed');
        },
      },
    ],
    logger,
  });
  const mqtt = createMqttIngest({
    ...ingestRules,
    settings: config.mqtt,
    host: config.host,
    httpServer: http.server,
  });
  return withMetrics(
    {
      async start() {
        // Production fails to start rather than run without a listener it was told to open.
        const ports = await mqtt.start();
        logger.info({ mqtt: ports }, 'MQTT listening');
        return http.listen(config.ports.ingest, config.host);
      },
      async stop() {
        await mqtt.close();
        await http.close(config.shutdownTimeoutMs);
        await rateLimits.limiter.close();
        await bus.close();
        await live.close();
        await database.close();
      },
    },
    config,
    'ingest',
    logger,
  );
}

/** `pipeline`: a Kafka consumer group member; add processes to scale. */
export async function createPipelineProcess(
  config: PipelineConfig,
  logger: Logger,
): Promise<RunningProcess> {
  // Devices (lastSeenAt, alert rule scopes) and alert rules and states, on one pool.
  const database = await adapters.database(config, logger);
  const store = createTelemetryStore(config, logger);
  const live = await adapters.live(config, logger.child({ component: 'redis' }));
  const bus = await adapters.bus(config, logger.child({ component: 'kafka' }));
  // Every replica sends: the outbox in PostgreSQL gives each message to one of them.
  const notifier = createNotificationSender({
    notifications: database.notifications,
    settings: config.notifications,
    logger: logger.child({ component: 'notifications' }),
  });
  const pipeline = createPipeline({
    bus,
    store,
    live,
    devices: database.devices,
    alerts: notifier.wakingAfterWrites(database.alerts),
    lastSeenFlushMs: config.pipeline.lastSeenFlushMs,
    connectivitySweepMs: config.pipeline.connectivitySweepMs,
    alertRuleCacheMs: config.pipeline.alertRuleCacheMs,
    logger,
  });
  const http = createServiceServer({
    routes: {},
    readiness: [
      // Batches are retried without limit (nothing is skipped): a consumer that has not moved
      // for ~30 s, or crashed, is what tells an operator the pipeline is stuck.
      { name: 'consumer', check: () => pipeline.checkHealthy() },
      { name: 'kafka', check: () => bus.ping() },
      { name: 'influxdb', check: () => store.ping() },
      { name: 'redis', check: () => live.ping() },
      { name: 'postgres', check: () => database.ping() },
    ],
    logger,
  });
  let stopRetention: (() => Promise<void>) | undefined;
  return withMetrics(
    {
      async start() {
        await pipeline.start();
        notifier.start();
        // Always: an organization may keep its data for less than the server (or set a limit
        // where the server sets none).
        stopRetention = startRetention({
          store,
          server: config.retention,
          organizations: database.devices,
          logger,
        });
        return http.listen(config.ports.pipeline, config.host);
      },
      async stop() {
        await http.close(config.shutdownTimeoutMs);
        await stopRetention?.();
        await pipeline.stop();
        await notifier.stop();
        await bus.close();
        await Promise.all([live.close(), store.close(), database.close()]);
      },
    },
    config,
    'pipeline',
    logger,
  );
}
