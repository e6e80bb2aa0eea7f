/**
 * Finds the real services integration tests need. Outside CI a missing service skips its tests
 * with a clear message; with CI=true a missing service fails the run (docs/architecture.md, "Real
 * services in tests").
 * `npm run services:up` starts them all; scripts/services/env.sh prints the addresses.
 */
import net from 'node:net';

export type ServiceName = 'postgres' | 'redis' | 'kafka' | 'influx';

const defaults: Record<ServiceName, { variable: string; url: string }> = {
  postgres: {
    variable: 'TEST_DATABASE_URL',
    url: 'postgresql://postgres@127.0.0.1:5432/iot_test',
  },
  redis: { variable: 'TEST_REDIS_URL', url: 'redis://127.0.0.1:6379' },
  kafka: { variable: 'TEST_KAFKA_BROKERS', url: '127.0.0.1:9092' },
  influx: { variable: 'TEST_INFLUX_URL', url: 'http://127.0.0.1:8086' },
};

function hostAndPort(name: ServiceName, address: string): { host: string; port: number } {
  if (name === 'kafka') {
    const [host, port] = (address.split(',')[0] ?? '').split(':');
    return { host: host ?? '127.0.0.1', port: Number(port ?? 9092) };
  }
  const url = new URL(address);
  const fallbackPort = { postgres: 5432, redis: 6379, influx: 8086, kafka: 9092 }[name];
  return { host: url.hostname, port: Number(url.port || fallbackPort) };
}

/** A port nothing listened on a moment ago (another process may take it before the caller does). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not pick a free port'));
      });
    });
  });
}

/** Whether a TCP connection to host:port opens within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The service's address (URL, or broker list for Kafka) when it answers; undefined (tests skip)
 * when it does not and CI is not set; throws under CI=true.
 */
export async function findService(name: ServiceName): Promise<string | undefined> {
  const { variable, url } = defaults[name];
  const address = process.env[variable] || url;
  const { host, port } = hostAndPort(name, address);
  if (await canConnect(host, port)) return address;
  const message = `${name} is not reachable at ${address} (${variable}); run \`npm run services:up\``;
  if (process.env.CI === 'true')
    throw new Error(`${message}. CI=true: integration tests must run.`);
  console.warn(`SKIPPING ${name} integration tests: ${message}.`);
  return undefined;
}

/** A short random suffix for per-test-file isolation (databases, topics, channel prefixes). */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
