/**
 * Entry point. `npm start` runs the embedded product in one process; in production the same build
 * runs one role per process: `node dist/main.js api|ingest|pipeline` (MODE=production).
 * `migrate` applies the device database's migrations and exits (`npm run db:migrate`).
 */
import { createEmbeddedApp } from './app/embedded.js';
import {
  createApiProcess,
  createIngestProcess,
  createPipelineProcess,
  type RunningProcess,
} from './app/processes.js';
import { DataDirInUseError } from './app/data-dir-lock.js';
import { migrateDeviceDatabase } from './app/migrate.js';
import {
  ConfigError,
  loadConfig,
  type Config,
  type ConfigPurpose,
  type EmbeddedConfig,
  type ProcessRole,
  type ProductionConfig,
} from './config/index.js';
import { createLogger, type Logger } from './logger.js';
import { startTracing } from './tracing/start-tracing.js';

const ROLES: readonly ProcessRole[] = ['api', 'ingest', 'pipeline'];

async function startEmbedded(
  config: EmbeddedConfig,
  logger: Logger,
): Promise<RunningProcess['stop']> {
  const app = await createEmbeddedApp(config, logger);
  const { baseUrl, adminToken, mqtt, metrics } = await app.start();
  const host = new URL(baseUrl).hostname;
  const mqttLines = mqtt
    ? [
        ...(mqtt.tcp === null ? [] : [`  MQTT:      mqtt://${host}:${mqtt.tcp}`]),
        ...(mqtt.tls === null ? [] : [`  MQTTS:     mqtts://${host}:${mqtt.tls}`]),
        `  MQTT (WS): ${baseUrl.replace(/^http/, 'ws')}/mqtt  (publish to v1/devices/me/telemetry, password: device token)`,
      ]
    : ['  MQTT:      off (the log above says why)'];
  // Printed for the person at the terminal, not as a log line: the token is theirs to paste.
  process.stdout.write(
    [
      '',
      // The token rides in the fragment, which the browser keeps: it reaches no server log.
      `  Console:   ${baseUrl}/console/#token=${encodeURIComponent(adminToken)}`,
      `  GraphiQL:  ${baseUrl}/graphql`,
      `  Ingest:    POST ${baseUrl}/v1/telemetry  (Authorization: Bearer <device token>)`,
      ...mqttLines,
      `  Health:    ${baseUrl}/health, ${baseUrl}/ready`,
      metrics === null
        ? '  Metrics:   off'
        : `  Metrics:   http://${config.metrics.host ?? host}:${metrics}/metrics  (Prometheus)`,
      '',
      '  Admin token (valid 7 days; paste into GraphiQL\'s "Headers" tab):',
      `  {"Authorization": "Bearer ${adminToken}"}`,
      '',
    ].join('\n') + '\n',
  );
  return app.stop;
}

/**
 * Runs what the settings say: the embedded product with MODE=embedded, whatever the role, else
 * the role's production process (`createProcess`; without one, the role is missing or unknown
 * and the process exits 1). Stops gracefully on SIGTERM/SIGINT.
 */
async function serve<C extends ProductionConfig<never>>(
  role: string | undefined,
  config: EmbeddedConfig | C,
  createProcess?: (config: C, logger: Logger) => Promise<RunningProcess>,
) {
  // The log's `name` and the traces' service.name.
  const name = role ? `iot-${role}` : 'iot-analytics';
  const logger = createLogger(config.logLevel, name);
  // Before anything that makes spans; its shutdown exports the last of them after the stop.
  const tracing = await startTracing(config.tracing, name, logger);
  let stop: RunningProcess['stop'];
  if (config.mode === 'embedded') {
    stop = await startEmbedded(config, logger);
  } else if (createProcess) {
    const running = await createProcess(config, logger);
    const { port } = await running.start();
    logger.info({ role, port, host: config.host }, 'ready');
    stop = running.stop;
  } else {
    if (role) logger.fatal({ role }, `unknown role; expected one of: ${ROLES.join(', ')}`);
    else logger.fatal(`MODE=production runs one role per process: ${ROLES.join(' | ')}`);
    process.exit(1);
  }
  exitOnSignals(
    async () => {
      await stop();
      await tracing.shutdown();
    },
    config,
    logger,
  );
}

function exitOnSignals(stop: () => Promise<void>, config: Config, logger: Logger) {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    deadline.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function migrate(config: EmbeddedConfig | ProductionConfig<'migrate'>) {
  const { target, applied } = await migrateDeviceDatabase(config);
  console.log(
    applied.length === 0
      ? `${target}: up to date, nothing applied`
      : `${target}: applied ${applied.length}\n${applied.map((name) => `  ${name}`).join('\n')}`,
  );
}

/** The settings `load` parses, or every problem listed and exit 1, before anything starts. */
function settingsOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** Each purpose is checked for what it uses, and its config has those engines. */
const settingsFor = <P extends ConfigPurpose>(purpose: P) =>
  settingsOrExit(() => loadConfig(undefined, purpose));

async function main() {
  const role = process.argv[2];
  switch (role) {
    case 'migrate':
      return migrate(settingsFor(role));
    case 'api':
      return serve(role, settingsFor(role), createApiProcess);
    case 'ingest':
      return serve(role, settingsFor(role), createIngestProcess);
    case 'pipeline':
      return serve(role, settingsFor(role), createPipelineProcess);
    default:
      // No role (the embedded product), or an unknown one: checked for everything any role
      // needs, then refused in production.
      return serve(
        role,
        settingsOrExit(() => loadConfig()),
      );
  }
}

main().catch((error: unknown) => {
  // A refusal the operator can act on is said in one line; anything else keeps its stack.
  console.error(error instanceof DataDirInUseError ? error.message : error);
  process.exit(1);
});
