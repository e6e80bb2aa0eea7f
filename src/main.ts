import { ConfigError, loadConfig, type Config } from './config.js';
import { createEmbeddedApp } from './app/embedded.js';
import { createLogger, type Logger } from './logger.js';

async function runEmbedded(config: Config, logger: Logger) {
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

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, 'iot-analytics');
  if (config.mode !== 'embedded') {
    logger.fatal('production mode is not available yet');
    process.exit(1);
  }
  const stop = await runEmbedded(config, logger);

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

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
