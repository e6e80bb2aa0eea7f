import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedApp } from '../../src/app/embedded.js';
import { loadConfig } from '../../src/config/index.js';
import type { DestinationStream } from 'pino';
import { createLogger } from '../../src/logger.js';

export async function makeDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iot-e2e-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The real embedded product on port 0, exactly as `npm start` builds it. */
export async function startEmbeddedApp(
  dataDir: string,
  env: Record<string, string> = {},
  logDestination?: DestinationStream,
) {
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    LAST_SEEN_FLUSH_MS: '100',
    // The tests of MQTT turn it on (on port 0); the machine's own Mosquitto holds 1883.
    MQTT_PORT: 'off',
    // Likewise /metrics: the tests that read it set METRICS_PORT=0.
    METRICS_PORT: 'off',
    ...env,
  });
  if (config.mode !== 'embedded') throw new Error('startEmbeddedApp needs MODE=embedded');
  const app = await createEmbeddedApp(
    config,
    createLogger(config.logLevel, 'test', logDestination),
  );
  const started = await app.start();
  return { ...started, stop: app.stop };
}
