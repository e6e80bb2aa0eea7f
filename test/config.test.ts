/**
 * Configuration as an operator meets it: defaults that start the embedded product, and every
 * problem listed at once, bad values and missing production settings together, before the
 * process exits non-zero.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  type ApiConfig,
  type Config,
  type ConfigPurpose,
  type EmbeddedConfig,
  type IngestConfig,
  type PipelineConfig,
  type ProductionConfig,
} from '../src/config/index.js';
import { root } from './support/child-process.js';

function problemsOf(source: Record<string, string>, purpose?: ConfigPurpose): string[] {
  try {
    if (purpose) loadConfig(source, purpose);
    else loadConfig(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** A config loaded for production, as its type has it (MODE decides, so tests check it). */
function inProduction<C extends Config>(config: C): Extract<C, { mode: 'production' }> {
  if (config.mode !== 'production') throw new Error(`expected MODE=production, got ${config.mode}`);
  return config as Extract<C, { mode: 'production' }>;
}

/** The setting each problem names (the text before the first colon). */
const settingsNamed = (problems: string[]) => problems.map((problem) => problem.split(':')[0]);

const PRODUCTION = {
  MODE: 'production',
  DATABASE_URL: 'postgresql://iot:iot@db:5432/iot',
  REDIS_URL: 'redis://redis:6379',
  KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
  INFLUX_URL: 'http://influxdb:8086',
  INFLUX_DATABASE: 'telemetry',
  JWT_SECRET: 'a-production-secret-of-at-least-32-chars',
  NOTIFICATION_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('loadConfig', () => {
  it('starts the embedded product with no settings at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'embedded',
      host: '127.0.0.1',
      ports: { api: 4000, ingest: 4001, pipeline: 4002 },
      dataDir: './data',
      logLevel: 'info',
      graphql: { introspection: true },
      ingest: { maxBodyBytes: 1_048_576, maxPoints: 10_000 },
    });
    expect(config.auth.jwtSecret).toBeUndefined();
    expect(config).not.toHaveProperty('postgres');
    expect(config).not.toHaveProperty('kafka');
  });

  it('keeps raw points for ever unless RAW_RETENTION is a duration of hours, days or weeks', () => {
    expect(loadConfig({}).retention.raw).toBeUndefined();
    expect(loadConfig({ RAW_RETENTION: '' }).retention.raw).toBeUndefined();
    expect(loadConfig({ RAW_RETENTION: '90d' }).retention.raw).toEqual({
      text: '90d',
      ms: 90 * 86_400_000,
    });
    expect(loadConfig({ RAW_RETENTION: '2w' }).retention.raw?.ms).toBe(14 * 86_400_000);
    for (const bad of ['0d', '90', '1y', '-5d', '30m']) {
      expect(settingsNamed(problemsOf({ RAW_RETENTION: bad })), bad).toEqual(['RAW_RETENTION']);
    }
  });

  it('reports a bad value and every missing production setting in one go', () => {
    const problems = problemsOf({ MODE: 'production', LOG_LEVEL: 'verbose', PORT: 'eighty' });
    expect(settingsNamed(problems).sort()).toEqual(
      [
        'LOG_LEVEL',
        'PORT',
        'DATABASE_URL',
        'REDIS_URL',
        'KAFKA_BROKERS',
        'INFLUX_URL',
        'INFLUX_DATABASE',
        'JWT_SECRET',
        'NOTIFICATION_SECRETS_KEY',
      ].sort(),
    );
    expect(problems).toContain('DATABASE_URL: is required when MODE=production');
    expect(problems).toContain(
      'JWT_SECRET: JWT_SECRET or JWT_JWKS_URL is required when MODE=production',
    );
    expect(problems.find((problem) => problem.startsWith('LOG_LEVEL'))).toMatch(/"verbose"|info/);
  });

  it('reports a required setting with a bad value once, as a bad value', () => {
    const problems = problemsOf({ ...PRODUCTION, DATABASE_URL: 'not a url', KAFKA_BROKERS: ' , ' });
    expect(settingsNamed(problems).sort()).toEqual(['DATABASE_URL', 'KAFKA_BROKERS']);
    expect(problems.join('\n')).not.toMatch(/required/);
  });

  it('asks each production role only for what it uses', () => {
    const missing = (purpose: ConfigPurpose) =>
      settingsNamed(problemsOf({ MODE: 'production' }, purpose)).sort();
    expect(missing('ingest')).toEqual(['DATABASE_URL', 'KAFKA_BROKERS', 'REDIS_URL']);
    expect(missing('pipeline')).toEqual([
      'DATABASE_URL',
      'INFLUX_DATABASE',
      'INFLUX_URL',
      'KAFKA_BROKERS',
      'NOTIFICATION_SECRETS_KEY',
      'REDIS_URL',
    ]);
    expect(missing('api')).toEqual([
      'DATABASE_URL',
      'INFLUX_DATABASE',
      'INFLUX_URL',
      'JWT_SECRET',
      'KAFKA_BROKERS',
      'NOTIFICATION_SECRETS_KEY',
      'REDIS_URL',
    ]);
    expect(missing('migrate')).toEqual(['DATABASE_URL']);
    expect(problemsOf({ MODE: 'production' }, 'ingest')).toContain(
      'DATABASE_URL: is required when MODE=production for the ingest process',
    );

    // An ingest process needs no JWT secret, no channel secrets key and no InfluxDB.
    const {
      JWT_SECRET: _jwt,
      NOTIFICATION_SECRETS_KEY: _key,
      INFLUX_URL: _url,
      INFLUX_DATABASE: _db,
      ...ingestOnly
    } = PRODUCTION;
    expect(inProduction(loadConfig(ingestOnly, 'ingest')).kafka.brokers).toEqual([
      'kafka-1:9092',
      'kafka-2:9092',
    ]);
    // A JWKS URL stands in for the secret.
    const { JWT_SECRET: _secret, ...withProvider } = PRODUCTION;
    const api = loadConfig({ ...withProvider, JWT_JWKS_URL: 'https://id.example.com/jwks' }, 'api');
    expect(api.auth.algorithms).toEqual(['RS256', 'ES256']);
  });

  it('refuses a JWKS URL over plain HTTP in production, except on loopback', () => {
    const { JWT_SECRET: _secret, ...withProvider } = PRODUCTION;
    expect(
      problemsOf({ ...withProvider, JWT_JWKS_URL: 'http://id.example.com/jwks' }, 'api'),
    ).toEqual(['JWT_JWKS_URL: must be https:// when MODE=production (http only on loopback)']);
    expect(
      loadConfig({ ...withProvider, JWT_JWKS_URL: 'http://127.0.0.1:9999/jwks' }, 'api').auth
        .jwksUrl,
    ).toBe('http://127.0.0.1:9999/jwks');
    // Embedded mode is for one machine: a local provider over http is fine there.
    expect(loadConfig({ JWT_JWKS_URL: 'http://id.example.com/jwks' }).auth.jwksUrl).toBe(
      'http://id.example.com/jwks',
    );
  });

  it('parses a complete production environment', () => {
    const config = loadConfig(PRODUCTION);
    expect(config).toMatchObject({
      mode: 'production',
      postgres: { url: PRODUCTION.DATABASE_URL },
      redis: { url: PRODUCTION.REDIS_URL },
      kafka: { brokers: ['kafka-1:9092', 'kafka-2:9092'], topic: 'telemetry' },
      influx: { url: PRODUCTION.INFLUX_URL, database: 'telemetry' },
      graphql: { introspection: false },
    });
  });
});

describe('a config per role', () => {
  it('has, present, the engines its role needs, and no others', () => {
    // Checked by the type checker (npm run typecheck): each role reads its engines unchecked.
    expectTypeOf<ApiConfig['postgres']['url']>().toEqualTypeOf<string>();
    expectTypeOf<ApiConfig['redis']['url']>().toEqualTypeOf<string>();
    expectTypeOf<ApiConfig['influx']['database']>().toEqualTypeOf<string>();
    // The api asks Kafka how far the pipeline got (a resumed subscription's handover).
    expectTypeOf<ApiConfig['kafka']['groupId']>().toEqualTypeOf<string>();
    expectTypeOf<IngestConfig['kafka']['brokers']>().toEqualTypeOf<string[]>();
    expectTypeOf<IngestConfig>().not.toHaveProperty('influx');
    expectTypeOf<PipelineConfig['influx']['url']>().toEqualTypeOf<string>();
    expectTypeOf<PipelineConfig['kafka']['topic']>().toEqualTypeOf<string>();
    expectTypeOf<ProductionConfig<'migrate'>['postgres']['url']>().toEqualTypeOf<string>();
    expectTypeOf<ProductionConfig<'migrate'>>().not.toHaveProperty('redis');
    expectTypeOf<ProductionConfig<'simulate'>>().not.toHaveProperty('postgres');
    expectTypeOf<EmbeddedConfig['dataDir']>().toEqualTypeOf<string>();
    expectTypeOf<EmbeddedConfig>().not.toHaveProperty('postgres');
    // MODE decides between the embedded product and the role's process.
    expectTypeOf(loadConfig({}, 'pipeline')).toEqualTypeOf<EmbeddedConfig | PipelineConfig>();
    expectTypeOf(loadConfig({})).toEqualTypeOf<
      EmbeddedConfig | ProductionConfig<'api' | 'ingest' | 'pipeline'>
    >();

    // And at run time.
    const ingest = inProduction(loadConfig(PRODUCTION, 'ingest'));
    expect(ingest).toMatchObject({
      postgres: { url: PRODUCTION.DATABASE_URL },
      redis: { url: PRODUCTION.REDIS_URL },
      kafka: { brokers: ['kafka-1:9092', 'kafka-2:9092'] },
    });
    expect(ingest).not.toHaveProperty('influx');
    expect(inProduction(loadConfig(PRODUCTION, 'migrate'))).not.toHaveProperty('redis');
  });

  it('reports what a role needs and lacks, with the bad values of the same concern', () => {
    const { REDIS_URL: _redis, JWT_SECRET: _secret, KAFKA_BROKERS: _kafka, ...rest } = PRODUCTION;
    const problems = problemsOf(
      { ...rest, INFLUX_DATABASE: '', JWT_CLOCK_TOLERANCE_SECONDS: 'soon' },
      'api',
    );
    expect(settingsNamed(problems).sort()).toEqual([
      'INFLUX_DATABASE',
      'JWT_CLOCK_TOLERANCE_SECONDS',
      'JWT_SECRET',
      'KAFKA_BROKERS',
      'REDIS_URL',
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        'REDIS_URL: is required when MODE=production for the api process',
        'INFLUX_DATABASE: is required when MODE=production for the api process',
        'JWT_SECRET: JWT_SECRET or JWT_JWKS_URL is required when MODE=production for the api process',
      ]),
    );
  });
});

describe('notification secrets key', () => {
  it('takes 32 bytes in base64, with previous keys for a rotation, and names a bad one', () => {
    const key = Buffer.alloc(32, 2);
    const config = loadConfig({
      NOTIFICATION_SECRETS_KEY: key.toString('base64'),
      NOTIFICATION_SECRETS_PREVIOUS_KEYS: `${Buffer.alloc(32, 3).toString('base64url')}, ${Buffer.alloc(32, 4).toString('base64')}`,
    });
    expect(config.notifications.secretsKey).toEqual(new Uint8Array(key));
    expect(config.notifications.previousSecretsKeys).toHaveLength(2);
    expect(loadConfig({}).notifications.secretsKey).toBeUndefined();
    const problems = problemsOf({ ...PRODUCTION, NOTIFICATION_SECRETS_KEY: 'too short' }, 'api');
    expect(problems).toEqual([
      'NOTIFICATION_SECRETS_KEY: must be 32 random bytes in base64 (openssl rand -base64 32)',
    ]);
    expect(problems.join()).not.toContain('too short');
  });
});

describe('src/main.ts with a bad configuration', () => {
  it('exits non-zero listing each problem, before touching anything', async () => {
    const result = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'api'],
      {
        cwd: root,
        // Only what the test sets: nothing from the developer's shell leaks in.
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          MODE: 'production',
          LOG_LEVEL: 'verbose',
          DATABASE_URL: 'not a url',
        },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    const listed = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('  - '))
      .map((line) => line.slice(4).split(':')[0])
      .sort();
    expect(result.stderr).toMatch(/^Invalid configuration:/);
    expect(listed).toEqual(
      [
        'DATABASE_URL',
        'INFLUX_DATABASE',
        'INFLUX_URL',
        'JWT_SECRET',
        'KAFKA_BROKERS',
        'LOG_LEVEL',
        'NOTIFICATION_SECRETS_KEY',
        'REDIS_URL',
      ].sort(),
    );
  });
});

describe('metrics settings', () => {
  it('gives each role its own metrics port, any of them `off`', () => {
    expect(loadConfig({}).metrics).toEqual({
      host: undefined,
      ports: { api: 9464, ingest: 9465, pipeline: 9466 },
      token: undefined,
    });
    const config = loadConfig({ METRICS_PORT: 'off', PIPELINE_METRICS_PORT: '0' });
    expect(config.metrics.ports).toEqual({ api: null, ingest: 9465, pipeline: 0 });
  });

  it('refuses a short metrics token and a port that is not one', () => {
    expect(
      settingsNamed(problemsOf({ METRICS_TOKEN: 'short', INGEST_METRICS_PORT: '70000' })).sort(),
    ).toEqual(['INGEST_METRICS_PORT', 'METRICS_TOKEN']);
  });
});

describe('tracing settings', () => {
  it('is off until an OTLP endpoint is set', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_SDK_DISABLED: 'true',
      }).tracing,
    ).toBeNull();
  });

  it('reads the standard OTLP variables: /v1/traces appended, a traces endpoint as it is', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: undefined,
    });
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'fleet-api',
    });
    expect(config.tracing).toEqual({
      url: 'https://traces.example.com/otlp',
      protocol: 'http/json',
      serviceName: 'fleet-api',
    });
  });

  it('refuses gRPC and an endpoint that is not an HTTP URL', () => {
    expect(
      settingsNamed(
        problemsOf({
          OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        }),
      ).sort(),
    ).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL']);
  });
});
