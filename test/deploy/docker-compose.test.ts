/**
 * docker-compose.yml, the Dockerfile and deploy/prometheus/prometheus.yml as read: Docker is not
 * on these machines, so the rules the stack depends on are checked on the files themselves, with
 * the product's own config loader as the judge of each service's settings. Each app service
 * waits, healthy, for every engine its role uses (the engines its loaded config has) and for the
 * migration; every long-running service has a healthcheck, the app services' on their own
 * port's /ready; images are pinned; the broker's and the app's Kafka partitions come from one
 * variable; Prometheus scrapes each role's service on its metrics port.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, type ConfigPurpose, type ProcessRole } from '../../src/config/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

type EnvironmentValue = string | number | boolean | null;
interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  restart?: string;
  environment?: Record<string, EnvironmentValue> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: Healthcheck;
  ports?: (string | number | { target?: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
}
interface Compose {
  services: Record<string, Service>;
}

const parseCompose = (file: string) => parse(read(file), { merge: true }) as Compose;
const compose = parseCompose('docker-compose.yml');
const services = compose.services;

/** The production processes, each run by the compose service of its name. */
const ROLES = ['api', 'ingest', 'pipeline'] as const satisfies readonly ProcessRole[];
/** Every app service: the roles, and the migration they wait for. */
const APP_SERVICES = [...ROLES, 'migrate'] as const satisfies readonly ConfigPurpose[];
/** A production config's engine sections (src/config/index.ts), and the service that runs each. */
const ENGINE_SERVICES = {
  postgres: 'postgres',
  redis: 'redis',
  kafka: 'kafka',
  influx: 'influxdb',
} as const;

/**
 * What an operator must provide (`${X:?…}`): a value long enough for any setting's rule, or of
 * the shape its setting requires.
 */
const placeholder = (name: string) =>
  name === 'NOTIFICATION_SECRETS_KEY'
    ? Buffer.alloc(32, 5).toString('base64')
    : `${name.toLowerCase()}-placeholder-`.padEnd(48, 'x');

/**
 * Compose's interpolation: `$$`, `${X}`, `$X`, `${X:-default}`, `${X-default}`, `${X:?error}`,
 * `${X?error}`, with `variables` as the shell's environment. A required variable that is not
 * given gets a placeholder (the operator must give it, and compose refuses to start without);
 * a variable with neither a value nor a default is an error here (compose would silently
 * substitute an empty string).
 */
function interpolate(text: string, variables: Record<string, string> = {}): string {
  return text.replace(
    /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (whole, braced?: string, operator?: string, argument?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare)!;
      const value = variables[name];
      const given = operator?.startsWith(':')
        ? value !== undefined && value !== ''
        : value !== undefined;
      if (given) return value!;
      if (operator?.endsWith('-')) return argument ?? '';
      if (operator?.endsWith('?')) return placeholder(name);
      throw new Error(`${whole} has no default: compose would substitute an empty string`);
    },
  );
}

/** A service's environment as its container sees it (`KEY:` alone, taken from the shell: unset). */
function rawEnvironment(service: Service): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((item) => {
        const at = item.indexOf('=');
        return at < 0 ? [item, null] : [item.slice(0, at), item.slice(at + 1)];
      })
    : Object.entries(service.environment ?? {});
  return Object.fromEntries(
    entries.flatMap(([key, value]) => (value === null ? [] : [[key, String(value)]])),
  ) as Record<string, string>;
}

function environment(service: Service, variables: Record<string, string> = {}) {
  return Object.fromEntries(
    Object.entries(rawEnvironment(service)).map(([key, value]) => [
      key,
      interpolate(value, variables),
    ]),
  );
}

function dependencies(service: Service): Record<string, string> {
  const dependsOn = service.depends_on ?? {};
  if (Array.isArray(dependsOn)) {
    return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  }
  return Object.fromEntries(
    Object.entries(dependsOn).map(([name, { condition }]) => [
      name,
      condition ?? 'service_started',
    ]),
  );
}

const hasHealthcheck = (service: Service) =>
  service.healthcheck !== undefined &&
  service.healthcheck.disable !== true &&
  service.healthcheck.test !== undefined &&
  !(Array.isArray(service.healthcheck.test) && service.healthcheck.test[0] === 'NONE');

/** Services that run once and exit (the migration): every other one runs for good. */
const oneShot = (service: Service) => service.restart === 'no';

/** The config `src/main.ts` would load in each app service's container. */
function configOf<Name extends (typeof APP_SERVICES)[number]>(
  name: Name,
  variables?: Record<string, string>,
) {
  return loadConfig(environment(services[name]!, variables), name);
}

function productionConfig(name: (typeof APP_SERVICES)[number]) {
  const config = configOf(name);
  if (config.mode !== 'production') throw new Error(`${name} would run in ${config.mode} mode`);
  return config;
}

/** The engines a purpose's production config has: those it cannot start without. */
const enginesOf = (name: (typeof APP_SERVICES)[number]) =>
  (Object.keys(ENGINE_SERVICES) as (keyof typeof ENGINE_SERVICES)[]).filter((engine) =>
    Object.hasOwn(productionConfig(name), engine),
  );

describe('docker-compose.yml', () => {
  it('gives each app service every setting its role requires in production', () => {
    for (const name of APP_SERVICES) {
      expect(services[name], name).toBeDefined();
      // loadConfig throws ConfigError listing every missing or invalid setting.
      expect(() => configOf(name), name).not.toThrow();
      expect(configOf(name).mode, `${name}: MODE`).toBe('production');
    }
  });

  it('makes each app service wait, healthy, for every engine its role uses, and for the migration', () => {
    expect(enginesOf('pipeline')).toEqual(['postgres', 'redis', 'kafka', 'influx']);
    for (const name of APP_SERVICES) {
      const engines = enginesOf(name);
      expect(engines, name).toContain('postgres');
      const expected = Object.fromEntries(
        engines.map((engine) => [ENGINE_SERVICES[engine], 'service_healthy']),
      );
      if (name !== 'migrate') expected.migrate = 'service_completed_successfully';
      expect(dependencies(services[name]!), name).toMatchObject(expected);
    }
  });

  it('waits only on services that can report it: healthchecks and one-shot runs', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(dependencies(service))) {
        const target = services[dependency];
        expect(target, `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(hasHealthcheck(target!), `${dependency} (healthy for ${name})`).toBe(true);
        }
        if (condition === 'service_completed_successfully') {
          expect(oneShot(target!), `${dependency} (completed for ${name})`).toBe(true);
        }
      }
    }
  });

  it('gives every long-running service a healthcheck', () => {
    const longRunning = Object.entries(services).filter(([, service]) => !oneShot(service));
    expect(longRunning.map(([name]) => name)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'kafka', 'influxdb', ...ROLES]),
    );
    for (const [name, service] of longRunning) expect(hasHealthcheck(service), name).toBe(true);
  });

  it('pins every image to a release: no latest, no bare major', () => {
    const images = Object.entries(services).flatMap(([name, service]) =>
      service.image ? [[name, service.image] as const] : [],
    );
    expect(images.length).toBeGreaterThanOrEqual(6);
    for (const [name, image] of images) expect(isPinned(image), `${name}: ${image}`).toBe(true);
    for (const name of APP_SERVICES) expect(services[name]!.build, name).toBeDefined();
  });

  it('sets the broker’s partitions and the app’s KAFKA_PARTITIONS from one variable', () => {
    const broker = rawEnvironment(services.kafka!).KAFKA_NUM_PARTITIONS;
    expect(broker).toMatch(/^\$\{KAFKA_PARTITIONS[:?-]/);
    for (const name of ['ingest', 'pipeline'] as const) {
      expect(rawEnvironment(services[name]!).KAFKA_PARTITIONS, name).toBe(broker);
    }
    const byDefault = Number(interpolate(broker!));
    expect(Number.isInteger(byDefault) && byDefault > 0).toBe(true);
    for (const variables of [{}, { KAFKA_PARTITIONS: '12' }] as Record<string, string>[]) {
      const brokerCount = environment(services.kafka!, variables).KAFKA_NUM_PARTITIONS;
      for (const name of ['ingest', 'pipeline'] as const) {
        expect(environment(services[name]!, variables).KAFKA_PARTITIONS).toBe(brokerCount);
        // The count the process loads (src/config/kafka.ts) is the broker's.
        const config = configOf(name, variables);
        if (config.mode !== 'production') throw new Error(`${name}: not production`);
        expect(config.kafka.partitions, name).toBe(Number(brokerCount));
      }
    }
  });

  it('keeps introspection off, and docker-compose.dev.yml turns it on for GraphiQL', () => {
    expect(productionConfig('api').graphql.introspection).toBe(false);
    const dev = parseCompose('docker-compose.dev.yml');
    const devApi = dev.services.api!;
    const merged = {
      ...environment(services.api!),
      ...environment(devApi),
    };
    const config = loadConfig(merged, 'api');
    expect(config.mode).toBe('production');
    expect(config.graphql.introspection).toBe(true);
  });

  it('mounts files and folders that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0]! : volume.source;
        if (!source?.startsWith('.')) continue; // a named volume
        expect(existsSync(path.join(root, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('publishes no metrics port: /metrics stays on the compose network', () => {
    for (const role of ROLES) {
      const metricsPort = productionConfig(role).metrics.ports[role];
      expect(metricsPort, role).not.toBeNull();
      const published = (services[role]!.ports ?? []).map((port) =>
        typeof port === 'object' ? String(port.target) : String(port).split(':').at(-1),
      );
      expect(published, role).not.toContain(String(metricsPort));
    }
  });
});

/** A tag with at least major.minor (`17.6`, `v3.5.0`, `20.19.5-bookworm-slim`), or a digest. */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon <= slash) return false;
  return /^v?\d+\.\d+(\.\d+)*([-+][\w.-]+)?$/.test(image.slice(colon + 1));
}

describe('isPinned', () => {
  it('accepts releases and refuses floating tags', () => {
    for (const image of ['postgres:17.6', 'prom/prometheus:v3.5.0', 'node:20.19.5-bookworm-slim'])
      expect(isPinned(image), image).toBe(true);
    for (const image of ['redis:7', 'influxdb:2', 'grafana/grafana:latest', 'postgres', 'a:b/c'])
      expect(isPinned(image), image).toBe(false);
  });
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/** A stand-in for a process's HTTP side: answers `status`, records the paths asked. */
async function fakeProcess(status: number) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, paths };
}

/** A port nothing listens on (just closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function exitCode(args: string[], env: Record<string, string> = {}): Promise<number | null> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'ignore',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('the app services’ healthchecks', () => {
  const portSetting = { api: 'PORT', ingest: 'INGEST_PORT', pipeline: 'PIPELINE_PORT' } as const;

  it('ask /ready on the port each role’s settings give it, and exit 0 only on a 2xx', async () => {
    for (const role of ROLES) {
      const test = services[role]!.healthcheck!.test;
      expect(Array.isArray(test) && test.slice(0, 3), role).toEqual(['CMD', 'node', '-e']);
      const script = (test as string[])[3]!;
      const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[\w/]*)/.exec(script);
      expect(url, role).not.toBeNull();
      expect(Number(url![1]), role).toBe(productionConfig(role).ports[role]);
      expect(rawEnvironment(services[role]!)[portSetting[role]], role).toBe(url![1]);
      expect(url![2], role).toBe('/ready');

      // The command itself, pointed at a stand-in for the process.
      const at = (port: number) => script.replace(`:${url![1]}/`, `:${port}/`);
      const ready = await fakeProcess(200);
      expect(await exitCode(['-e', at(ready.port)]), `${role} ready`).toBe(0);
      expect(ready.paths).toEqual(['/ready']);
      const notReady = await fakeProcess(503);
      expect(await exitCode(['-e', at(notReady.port)]), `${role} not ready`).toBe(1);
      expect(await exitCode(['-e', at(await closedPort())]), `${role} down`).toBe(1);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('pins its base images', () => {
    const bases = [...dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)/gm)].map((m) => m[1]!);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(isPinned(base), base).toBe(true);
  });

  it('has a HEALTHCHECK that runs the script the image holds', () => {
    const healthcheck = /^HEALTHCHECK\s+(?:--\S+\s+|\\\n\s*)*CMD\s+(.+)$/m.exec(dockerfile);
    expect(healthcheck, 'HEALTHCHECK … CMD').not.toBeNull();
    expect(JSON.parse(healthcheck![1]!)).toEqual(['node', 'docker/healthcheck.mjs']);
    expect(dockerfile).toMatch(/^COPY\s+(?:--\S+\s+)*docker\/healthcheck\.mjs\s+\.\/docker\//m);
    expect(existsSync(path.join(root, 'docker/healthcheck.mjs'))).toBe(true);
  });

  it('checks /health on the port of the role the container runs', async () => {
    for (const role of ROLES) {
      const setting = { api: 'PORT', ingest: 'INGEST_PORT', pipeline: 'PIPELINE_PORT' }[role];
      const live = await fakeProcess(200);
      const env = { [setting]: String(live.port), HOST: '0.0.0.0' };
      expect(await exitCode(['docker/healthcheck.mjs', role], env), role).toBe(0);
      expect(live.paths, role).toEqual(['/health']);
      const failing = await fakeProcess(500);
      const failingEnv = { [setting]: String(failing.port) };
      expect(await exitCode(['docker/healthcheck.mjs', role], failingEnv), role).toBe(1);
    }
    // The migration exits when done: nothing to check.
    expect(await exitCode(['docker/healthcheck.mjs', 'migrate'])).toBe(0);
  });
});

interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  metrics_path?: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[]; type?: string; port?: number }[];
}

describe('deploy/prometheus/prometheus.yml', () => {
  const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
    global?: { scrape_interval?: string };
    scrape_configs: ScrapeConfig[];
  };

  it('is what the prometheus service runs', () => {
    const volumes = (services.prometheus?.volumes ?? []).map(String);
    expect(volumes).toContain(
      './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
  });

  it('scrapes each role’s compose service on its metrics port every 15 s', () => {
    for (const role of ROLES) {
      const job = prometheus.scrape_configs.find((config) => config.job_name === role);
      expect(job, role).toBeDefined();
      expect(job!.scrape_interval ?? prometheus.global?.scrape_interval, role).toBe('15s');
      expect(job!.metrics_path ?? '/metrics', role).toBe('/metrics');
      const port = productionConfig(role).metrics.ports[role];
      const targets = [
        ...(job!.static_configs ?? []).flatMap(({ targets }) => targets),
        ...(job!.dns_sd_configs ?? []).flatMap(({ names, port: dnsPort }) =>
          names.map((name) => `${name}:${dnsPort}`),
        ),
      ];
      expect(targets, role).toEqual([`${role}:${port}`]);
      expect(services[role], role).toBeDefined();
    }
  });
});
