/**
 * The product's own processes as child processes: the production roles (`src/main.ts
 * api|ingest|pipeline`) and the embedded app (`npm start`'s `src/main.ts`).
 */
import { startChild, type RunningChild } from './child-process.js';

export type Role = 'api' | 'ingest' | 'pipeline';

export interface RunningRole extends RunningChild {
  role: Role;
  port: number;
  baseUrl: string;
  /** ingest: where MQTT listens (plain TCP); undefined when off. */
  mqttPort?: number;
  /** Where `/metrics` is served (any free port, from the "metrics listening" log line). */
  metricsPort?: number;
}

const METRICS_PORT_VARIABLE: Record<Role, string> = {
  api: 'METRICS_PORT',
  ingest: 'INGEST_METRICS_PORT',
  pipeline: 'PIPELINE_METRICS_PORT',
};

/** A production role; its port comes from the "ready" log line. */
export async function startRole(
  role: Role,
  env: Record<string, string>,
  timeoutMs = 30_000,
  nodeArgs: string[] = [],
): Promise<RunningRole> {
  const running = await startChild({
    name: role,
    args: [...nodeArgs, '--import', 'tsx', 'src/main.ts', role],
    env: {
      MODE: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      INGEST_PORT: '0',
      PIPELINE_PORT: '0',
      // Any free port: the machine's own Mosquitto holds 1883.
      MQTT_PORT: '0',
      // Any free port: several roles (and test files) run at once on this machine.
      [METRICS_PORT_VARIABLE[role]]: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    timeoutMs,
    ready(line, found) {
      try {
        const entry = JSON.parse(line) as {
          msg?: string;
          port?: number;
          mqtt?: { tcp: number | null };
          metrics?: number;
        };
        if (entry.msg === 'ready' && entry.port) found.port = String(entry.port);
        if (entry.msg === 'MQTT listening' && entry.mqtt?.tcp) found.mqtt = String(entry.mqtt.tcp);
        if (entry.msg === 'metrics listening' && entry.metrics) {
          found.metrics = String(entry.metrics);
        }
      } catch {
        // Not a JSON log line.
      }
      return found.port !== undefined;
    },
  });
  const port = Number(running.found.port);
  const portFound = (name: string) =>
    running.found[name] === undefined ? undefined : Number(running.found[name]);
  return {
    ...running,
    role,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    mqttPort: portFound('mqtt'),
    metricsPort: portFound('metrics'),
  };
}

export interface RunningEmbedded extends RunningChild {
  baseUrl: string;
  adminToken: string;
}

/** The embedded app as `npm start` runs it; reads the URL and admin token it prints. */
export async function startEmbeddedProcess(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  /** What node runs: the sources through tsx, or `scripts/start.mjs` as `npm start` does. */
  entry: string[] = ['--import', 'tsx', 'src/main.ts'],
): Promise<RunningEmbedded> {
  const running = await startChild({
    name: 'embedded app',
    args: [...nodeArgs, ...entry],
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      MQTT_PORT: 'off',
      METRICS_PORT: 'off',
      LOG_LEVEL: 'warn',
      ...env,
    },
    ready(line, found) {
      const url = /GraphiQL:\s+(http:\/\/\S+)\/graphql/.exec(line)?.[1];
      if (url) found.baseUrl = url;
      const token = /"Authorization": "Bearer ([^"]+)"/.exec(line)?.[1];
      if (token) found.adminToken = token;
      return Boolean(found.baseUrl && found.adminToken);
    },
  });
  return { ...running, baseUrl: running.found.baseUrl!, adminToken: running.found.adminToken! };
}
