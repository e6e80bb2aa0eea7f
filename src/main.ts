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
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';

const ROLES = {
  api: createApiProcess,
  ingest: createIngestProcess,
  pipeline: createPipelineProcess,
};

async function startEmbedded(config: Config, logger: Logger): Promise<RunningProcess['stop']> {
  const app = await createEmbeddedApp(config, logger);
  const { baseUrl, adminToken } = await app.start();
  // Printed for the person at the terminal, not as a log line: the token is theirs to paste.
  process.stdout.write(
    [
      '',
      `  GraphiQL:  ${baseUrl}/graphql`,
      `  Ingest:    POST ${baseUrl}/v1/telemetry  (Authorization: Bearer <device token>)`,
      `  Health:    ${baseUrl}/health, ${baseUrl}/ready`,
      '',
      '  Admin token (valid 7 days; paste into GraphiQL\'s "Headers" tab):',
      `  {"Authorization": "Bearer ${adminToken}"}`,
      '',
    ].join('\n') + '\n',
  );
  return app.stop;
}

async function startRole(config: Config, logger: Logger, role: string) {
  if (!isRole(role)) {
    logger.fatal({ role }, `unknown role; expected one of: ${Object.keys(ROLES).join(', ')}`);
    process.exit(1);
  }
  const running = await ROLES[role](config, logger);
  const { port } = await running.start();
  logger.info({ role, port, host: config.host }, 'ready');
  return running.stop;
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

async function migrate(config: Config) {
  const { target, applied } = await migrateDeviceDatabase(config);
  console.log(
    applied.length === 0
      ? `${target}: up to date, nothing applied`
      : `${target}: applied ${applied.length}\n${applied.map((name) => `  ${name}`).join('\n')}`,
  );
}

const isRole = (role: string | undefined): role is keyof typeof ROLES =>
  role !== undefined && Object.hasOwn(ROLES, role);

async function main() {
  const role = process.argv[2];
  let config: Config;
  try {
    // Each role is checked for what it uses; an unknown role for everything, then refused below.
    config = loadConfig(undefined, role === 'migrate' || isRole(role) ? role : undefined);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  if (role === 'migrate') return migrate(config);
  const logger = createLogger(config.logLevel, role ? `iot-${role}` : 'iot-analytics');
  if (config.mode === 'production' && !role) {
    logger.fatal(`MODE=production runs one role per process: ${Object.keys(ROLES).join(' | ')}`);
    process.exit(1);
  }
  const stop =
    config.mode === 'embedded'
      ? await startEmbedded(config, logger)
      : await startRole(config, logger, role!);
  exitOnSignals(stop, config, logger);
}

main().catch((error: unknown) => {
  // A refusal the operator can act on is said in one line; anything else keeps its stack.
  console.error(error instanceof DataDirInUseError ? error.message : error);
  process.exit(1);
});
