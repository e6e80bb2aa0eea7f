/**
 * The secure listeners scripts/services/*.sh configure beside the plaintext ones, for the
 * `*-tls.test.ts` contract suites: Kafka SASL_SSL, Redis TLS, PostgreSQL TLS (and a role with a
 * password), InfluxDB HTTPS (with auth), the test CA that signed their certificate and a second CA
 * that did not. Addresses and credentials come from the TEST_* variables of
 * scripts/services/env.sh, whose defaults are repeated here. As with services.ts: outside CI a
 * missing listener (or CA file) skips the suite with a clear message; with CI=true it fails.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type ConfigPurpose, type ProductionConfig } from '../../src/config/index.js';
import { canConnect } from './services.js';

const state =
  process.env.IOT_SERVICES_STATE ??
  path.join(
    process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local/state'),
    'iot-analytics/services',
  );

const setting = (name: string, fallback: string) => process.env[name] || fallback;

/** What every secure suite needs: the CA that signed the servers' certificate, and one that did not. */
export const testCa = {
  file: setting('TEST_TLS_CA_FILE', path.join(state, 'tls/ca.crt')),
  otherFile: setting('TEST_TLS_OTHER_CA_FILE', path.join(state, 'tls/other-ca.crt')),
};

export const secureServices = {
  kafka: {
    brokers: setting('TEST_KAFKA_SASL_SSL_BROKERS', '127.0.0.1:9094'),
    plain: {
      username: setting('TEST_KAFKA_SASL_PLAIN_USERNAME', 'iot_plain'),
      password: setting('TEST_KAFKA_SASL_PLAIN_PASSWORD', 'iot-plain-secret'),
    },
    scram: {
      username: setting('TEST_KAFKA_SASL_SCRAM_USERNAME', 'iot_scram'),
      password: setting('TEST_KAFKA_SASL_SCRAM_PASSWORD', 'iot-scram-secret'),
    },
  },
  redis: {
    url: setting('TEST_REDIS_TLS_URL', 'rediss://127.0.0.1:6380'),
    password: setting('TEST_REDIS_TLS_PASSWORD', 'iot-redis-secret'),
  },
  postgres: {
    /** The TLS-only role; its password is checked over TLS, its plaintext attempts refused. */
    url: setting('TEST_DATABASE_TLS_URL', 'postgresql://iot_tls@127.0.0.1:5432/postgres'),
    password: setting('TEST_DATABASE_TLS_PASSWORD', 'iot-tls-secret'),
    /** The plaintext superuser (trust), to create and drop the suite's database. */
    adminUrl: setting('TEST_DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/iot_test'),
  },
  influx: {
    url: setting('TEST_INFLUX_TLS_URL', 'https://127.0.0.1:8087'),
    username: setting('TEST_INFLUX_TLS_USERNAME', 'iot'),
    password: setting('TEST_INFLUX_TLS_PASSWORD', 'iot-influx-secret'),
  },
};

export type SecureServiceName = keyof typeof secureServices;

function address(name: SecureServiceName): { host: string; port: number } {
  if (name === 'kafka') {
    const [host, port] = (secureServices.kafka.brokers.split(',')[0] ?? '').split(':');
    return { host: host || '127.0.0.1', port: Number(port || 9094) };
  }
  const url = new URL(secureServices[name].url);
  const fallback = { redis: 6380, postgres: 5432, influx: 8087 }[name];
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || fallback) };
}

/**
 * The secure listener's settings when it answers and the CA files exist; undefined (the suite
 * skips) when not and CI is not set; throws under CI=true. PostgreSQL's TLS shares the plaintext
 * port, so for it this checks the port and the CA only: a server without ssl=on fails the suite's
 * first test with "postgres: the server does not accept TLS".
 */
export async function findSecureService<Name extends SecureServiceName>(
  name: Name,
): Promise<(typeof secureServices)[Name] | undefined> {
  const { host, port } = address(name);
  const missing = [testCa.file, testCa.otherFile].filter((file) => !existsSync(file));
  let problem: string | undefined;
  if (missing.length > 0) problem = `the test CA files are missing (${missing.join(', ')})`;
  else if (!(await canConnect(host, port))) {
    problem = `the ${name} secure listener is not reachable at ${host}:${port}`;
  }
  if (!problem) return secureServices[name];
  const message = `${problem}; run \`npm run services:up\` (scripts/services/env.sh lists the TEST_* variables)`;
  if (process.env.CI === 'true')
    throw new Error(`${message}. CI=true: integration tests must run.`);
  console.warn(`SKIPPING ${name} TLS tests: ${message}.`);
  return undefined;
}

/**
 * The production config a process loaded for `purpose` would have with `env`: the settings of
 * the engines under test from `env`, the other engines `purpose` requires given addresses that are
 * never contacted.
 */
export function productionConfig<P extends ConfigPurpose>(
  purpose: P,
  env: Record<string, string | undefined>,
): ProductionConfig<P> {
  const config = loadConfig(
    {
      MODE: 'production',
      LOG_LEVEL: 'silent',
      DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused',
      REDIS_URL: 'redis://127.0.0.1:1',
      KAFKA_BROKERS: '127.0.0.1:1',
      INFLUX_URL: 'http://127.0.0.1:1',
      INFLUX_DATABASE: 'unused',
      JWT_SECRET: 'a-test-secret-of-at-least-32-characters',
      NOTIFICATION_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
      ...env,
    },
    purpose,
  );
  if (config.mode !== 'production') throw new Error('expected a production config');
  return config as ProductionConfig<P>;
}

/** A logger whose lines the test can read (to prove that no secret is in them). */
export function capturedLines() {
  const lines: string[] = [];
  return {
    lines,
    destination: { write: (line: string) => void lines.push(line) },
  };
}
