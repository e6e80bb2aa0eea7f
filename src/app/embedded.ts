import { createInProcessMetadataVersions } from '../adapters/device-metadata-versions/in-process-metadata-versions.js';
import { withDeviceMetadataCache } from '../adapters/device-repository/device-metadata-cache.js';
import path from 'node:path';
import { createInProcessEventBus } from '../adapters/event-bus/in-process-event-bus.js';
import { createPgliteDatabase } from '../adapters/prisma/pglite.js';
import { createInProcessLiveHub } from '../adapters/live-hub/in-process-live-hub.js';
import { createInProcessRateLimiter } from '../adapters/rate-limiter/in-process-rate-limiter.js';
import { createDuckDbTelemetryStore } from '../adapters/telemetry-store/duckdb-telemetry-store.js';
import { loadOrCreateChannelSecretsKey } from '../auth/embedded-secret.js';
import { configuredSecretSealer } from '../auth/sealed-secrets.js';
import type { EmbeddedConfig } from '../config/index.js';
import { createRateLimitPolicy } from '../http/rate-limit-policy.js';
import { listenerOffReason } from '../http/listen.js';
import { createServiceServer } from '../http/service-server.js';
import { createIngestHandler } from '../ingest/handler.js';
import { createMqttIngest } from '../ingest/mqtt/mqtt-ingest.js';
import { serveMetrics, type MetricsEndpoint } from '../metrics/metrics-server.js';
import type { Logger } from '../logger.js';
import { createPipeline } from '../pipeline/pipeline.js';
import { publishingOnAccept, storedThroughOn } from './live-on-accept.js';
import { resealChannelSecrets } from './reseal-channel-secrets.js';
import { createNotificationSender } from '../notifications/notification-sender.js';
import { startRetention } from '../pipeline/retention.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { createGraphQLApi } from './graphql-api.js';
import {
  DEFAULT_ORGANIZATION,
  embeddedJwtSettings,
  signEmbeddedAdminToken,
} from './embedded-admin.js';

export { DEFAULT_ORGANIZATION } from './embedded-admin.js';

/**
 * The whole product in one process (docs/architecture.md, embedded column): API, ingest and pipeline on
 * PGlite, DuckDB and in-process bus and pub/sub, with everything kept under DATA_DIR, which only
 * this process may use while it runs (data-dir-lock.ts).
 */
export async function createEmbeddedApp(config: EmbeddedConfig, logger: Logger) {
  // Creates DATA_DIR if need be.
  const lock = await lockDataDir(config.dataDir);
  try {
    return await assembleEmbeddedApp(config, logger, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function assembleEmbeddedApp(config: EmbeddedConfig, logger: Logger, lock: DataDirLock) {
  const jwt = await embeddedJwtSettings(config);
  const database = await createPgliteDatabase({
    dataDir: config.dataDir,
    heartbeatTimeoutSeconds: config.heartbeatTimeoutSeconds,
    channelSecrets: configuredSecretSealer({
      ...config.notifications,
      secretsKey:
        config.notifications.secretsKey ?? (await loadOrCreateChannelSecretsKey(config.dataDir)),
    }),
  });
  const { devices, apiKeys, alerts, notifications } = database;
  await resealChannelSecrets(notifications, logger);
  await devices.ensureOrganization(DEFAULT_ORGANIZATION.id, DEFAULT_ORGANIZATION.name);
  const telemetry = await createDuckDbTelemetryStore({
    path: path.join(config.dataDir, 'telemetry.duckdb'),
    queryTimeoutMs: config.storeQueryTimeoutMs,
  });
  const bus = createInProcessEventBus({
    logger,
    batchSize: config.pipeline.batchSize,
    // A 202 promises the points survive a kill, so they are fsynced before ingest answers.
    walPath: path.join(config.dataDir, 'ingest.wal'),
    // Poison input set aside with its reason (README "Dead letters").
    deadLetterPath: path.join(config.dataDir, 'dead-letter.ndjson'),
  });
  const live = createInProcessLiveHub();
  // Points go live as ingest accepts them (live-on-accept.ts), so the pipeline only stores them.
  const ingestBus = publishingOnAccept(bus, live, logger.child({ component: 'ingest' }));
  const rateLimiter = createInProcessRateLimiter();
  const rateLimits = createRateLimitPolicy({ limiter: rateLimiter, settings: config.rateLimits });
  const notifier = createNotificationSender({
    notifications,
    settings: config.notifications,
    logger: logger.child({ component: 'notifications' }),
  });
  const pipeline = createPipeline({
    bus,
    store: telemetry,
    live,
    devices,
    alerts: notifier.wakingAfterWrites(alerts),
    lastSeenFlushMs: config.pipeline.lastSeenFlushMs,
    connectivitySweepMs: config.pipeline.connectivitySweepMs,
    alertRuleCacheMs: config.pipeline.alertRuleCacheMs,
    logger: logger.child({ component: 'pipeline' }),
  });

  // The api's reads of device metadata from memory; the pipeline and ingest use the repository.
  const apiDevices = withDeviceMetadataCache(devices, {
    ...config.deviceCache,
    versions: createInProcessMetadataVersions(),
  });
  const api = createGraphQLApi({
    config,
    logger,
    services: {
      devices: apiDevices,
      telemetry,
      live,
      apiKeys,
      alerts,
      notifications,
      storedThrough: storedThroughOn(bus, config.storeQueryTimeoutMs),
    },
    jwtSecret: jwt.secret,
    rateLimits,
  });
  const ingest = createIngestHandler({
    devices,
    bus: ingestBus,
    limits: config.ingest,
    rawRetention: config.retention.raw,
    rateLimiter: rateLimits,
    logger: logger.child({ component: 'ingest' }),
  });
  const http = createServiceServer({
    routes: {
      '/v1/telemetry': ingest,
      ...api.routes,
      '/': (_req, res) => res.writeHead(302, { location: '/graphql' }).end(),
    },
    fallback: api.handler,
    readiness: [
      { name: 'devices', check: () => database.ping() },
      { name: 'telemetry', check: () => telemetry.ping() },
      // A batch failing for long (or a crashed consumer) makes the process not ready.
      { name: 'pipeline', check: () => pipeline.checkHealthy() },
    ],
    logger,
  });
  const websocket = api.attachWebSocket(http.server);
  const mqtt = createMqttIngest({
    settings: config.mqtt,
    host: config.host,
    devices,
    bus: ingestBus,
    limits: config.ingest,
    rawRetention: config.retention.raw,
    rateLimiter: rateLimits,
    httpServer: http.server,
    logger,
  });

  let stopRetention: (() => Promise<void>) | undefined;
  let metrics: MetricsEndpoint | undefined;
  return {
    async start() {
      await pipeline.start();
      notifier.start();
      // Always: an organization may keep its data for less than the server (or set a limit
      // where the server sets none).
      stopRetention = startRetention({
        store: telemetry,
        server: config.retention,
        organizations: database.devices,
        logger: logger.child({ component: 'retention' }),
      });
      const address = await http.listen(config.ports.api, config.host);
      const mqttPorts = await startMqttOrSayWhyNot(mqtt, logger);
      // Like MQTT: a taken metrics port (a second local instance) turns metrics off, not the app.
      metrics = await serveMetrics({
        settings: config.metrics,
        role: 'api',
        host: config.host,
        required: false,
        logger,
      });
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
      const adminToken = await signEmbeddedAdminToken(jwt);
      return {
        baseUrl,
        port: address.port,
        adminToken,
        jwt,
        mqtt: mqttPorts,
        metrics: metrics.port,
      };
    },
    async stop() {
      await metrics?.close();
      await mqtt.close();
      await websocket.close();
      await http.close(config.shutdownTimeoutMs);
      await stopRetention?.();
      await pipeline.stop();
      await notifier.stop();
      await bus.close();
      await live.close();
      await rateLimiter.close();
      await telemetry.close();
      await api.close();
      await database.close();
      await lock.release();
    },
  };
}

/**
 * The embedded app starts without MQTT rather than not at all when its port is taken (a local
 * Mosquitto on 1883, say): HTTP ingest still works, and the log says why MQTT is off.
 */
async function startMqttOrSayWhyNot(
  mqtt: ReturnType<typeof createMqttIngest>,
  logger: Logger,
): Promise<{ tcp: number | null; tls: number | null } | null> {
  try {
    return await mqtt.start();
  } catch (error) {
    const { port } = error as { port?: number };
    logger.warn({ err: error }, listenerOffReason('MQTT is off', 'MQTT_PORT', port, error));
    await mqtt.close();
    return null;
  }
}
