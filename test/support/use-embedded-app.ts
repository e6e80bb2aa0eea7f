import type { DestinationStream } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { makeDataDir, startEmbeddedApp } from './embedded-app.js';

type Started = Awaited<ReturnType<typeof startEmbeddedApp>>;

export interface EmbeddedApp extends Readonly<
  Pick<Started, 'baseUrl' | 'adminToken' | 'jwt' | 'mqtt'>
> {
  /** The app's DATA_DIR. */
  readonly dataDir: string;
  /** Stops the app and starts it again on the same DATA_DIR (and settings). */
  restart(): Promise<void>;
}

/**
 * The embedded app (startEmbeddedApp) for the tests of the calling file or describe block: started
 * on a DATA_DIR of its own before them, stopped and the folder removed after them. The returned
 * object reads through to the running app, so use it in tests and hooks, not while they are
 * collected; hooks the caller registers afterwards run while the app is up.
 */
export function useEmbeddedApp(
  env: Record<string, string> = {},
  logDestination?: DestinationStream,
): EmbeddedApp {
  let dataDir: Awaited<ReturnType<typeof makeDataDir>> | undefined;
  let running: Started | undefined;
  const current = () => {
    if (!running) throw new Error('the embedded app runs only during the tests that use it');
    return running;
  };

  beforeAll(async () => {
    dataDir = await makeDataDir();
    running = await startEmbeddedApp(dataDir.dir, env, logDestination);
  });
  afterAll(async () => {
    await running?.stop();
    await dataDir?.remove();
  });

  return {
    get baseUrl() {
      return current().baseUrl;
    },
    get adminToken() {
      return current().adminToken;
    },
    get jwt() {
      return current().jwt;
    },
    /** The MQTT listeners' ports; null when MQTT is off (MQTT_PORT=off, the tests' default). */
    get mqtt() {
      return current().mqtt;
    },
    get dataDir() {
      current();
      return dataDir!.dir;
    },
    async restart() {
      const stopping = current();
      running = undefined;
      await stopping.stop();
      running = await startEmbeddedApp(dataDir!.dir, env, logDestination);
    },
  };
}
