/**
 * The only reader of process.env (DESIGN.md). Every setting is validated with zod; all problems
 * are reported at once and the process exits non-zero instead of starting half-configured.
 */
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
const list = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()).min(1));

const environmentShape = z.object({
  MODE: z.enum(['embedded', 'production']).default('embedded'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port(4000),
  INGEST_PORT: port(4001),
  PIPELINE_PORT: port(4002),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),

  JWT_SECRET: optionalString.pipe(z.string().min(32).optional()),
  JWT_ISSUER: z.string().default('iot-analytics'),
  JWT_AUDIENCE: z.string().default('iot-analytics-api'),

  INGEST_MAX_BODY_BYTES: positiveInt(1_048_576),
  INGEST_MAX_POINTS: positiveInt(10_000),

  PIPELINE_BATCH_SIZE: positiveInt(5_000),
  LAST_SEEN_FLUSH_MS: positiveInt(1_000),

  DATABASE_URL: optionalString.pipe(z.url().optional()),
  REDIS_URL: optionalString.pipe(z.url().optional()),
  KAFKA_BROKERS: optionalString.pipe(list.optional()),
  KAFKA_CLIENT_ID: z.string().default('iot-analytics'),
  KAFKA_TOPIC: z.string().default('telemetry'),
  KAFKA_DEAD_LETTER_TOPIC: z.string().default('telemetry.dead-letter'),
  KAFKA_GROUP_ID: z.string().default('iot-analytics-pipeline'),
  INFLUX_URL: optionalString.pipe(z.url().optional()),
  INFLUX_DATABASE: optionalString,
  INFLUX_RETENTION_POLICY: optionalString,
  INFLUX_TOKEN: optionalString,
  INFLUX_USERNAME: optionalString,
  INFLUX_PASSWORD: optionalString,
});

/** What each production process cannot start without; `migrate` only needs the database. */
const REQUIRED_IN_PRODUCTION = {
  process: [
    'JWT_SECRET',
    'DATABASE_URL',
    'REDIS_URL',
    'KAFKA_BROKERS',
    'INFLUX_URL',
    'INFLUX_DATABASE',
  ],
  migrate: ['DATABASE_URL'],
} as const;

function environmentSchema(purpose: keyof typeof REQUIRED_IN_PRODUCTION) {
  return environmentShape.superRefine((env, ctx) => {
    if (env.MODE !== 'production') return;
    for (const key of REQUIRED_IN_PRODUCTION[purpose]) {
      if (env[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required when MODE=production' });
      }
    }
  });
}

export type Environment = z.infer<typeof environmentShape>;

export interface Config {
  mode: Environment['MODE'];
  host: string;
  ports: { api: number; ingest: number; pipeline: number };
  dataDir: string;
  logLevel: Environment['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  auth: { jwtSecret?: string; issuer: string; audience: string };
  ingest: { maxBodyBytes: number; maxPoints: number };
  pipeline: { batchSize: number; lastSeenFlushMs: number };
  postgres?: { url: string };
  redis?: { url: string };
  kafka?: {
    brokers: string[];
    clientId: string;
    topic: string;
    deadLetterTopic: string;
    groupId: string;
  };
  influx?: {
    url: string;
    database: string;
    retentionPolicy?: string;
    token?: string;
    username?: string;
    password?: string;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses settings from an environment (process.env by default); throws ConfigError listing every
 * problem. `purpose: 'migrate'` checks only what migrating the database needs.
 */
export function loadConfig(
  source: Record<string, string | undefined> = process.env,
  purpose: keyof typeof REQUIRED_IN_PRODUCTION = 'process',
): Config {
  const parsed = environmentSchema(purpose).safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  return {
    mode: env.MODE,
    host: env.HOST,
    ports: { api: env.PORT, ingest: env.INGEST_PORT, pipeline: env.PIPELINE_PORT },
    dataDir: env.DATA_DIR,
    logLevel: env.LOG_LEVEL,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    auth: { jwtSecret: env.JWT_SECRET, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE },
    ingest: { maxBodyBytes: env.INGEST_MAX_BODY_BYTES, maxPoints: env.INGEST_MAX_POINTS },
    pipeline: { batchSize: env.PIPELINE_BATCH_SIZE, lastSeenFlushMs: env.LAST_SEEN_FLUSH_MS },
    postgres: env.DATABASE_URL ? { url: env.DATABASE_URL } : undefined,
    redis: env.REDIS_URL ? { url: env.REDIS_URL } : undefined,
    kafka: env.KAFKA_BROKERS
      ? {
          brokers: env.KAFKA_BROKERS,
          clientId: env.KAFKA_CLIENT_ID,
          topic: env.KAFKA_TOPIC,
          deadLetterTopic: env.KAFKA_DEAD_LETTER_TOPIC,
          groupId: env.KAFKA_GROUP_ID,
        }
      : undefined,
    influx:
      env.INFLUX_URL && env.INFLUX_DATABASE
        ? {
            url: env.INFLUX_URL,
            database: env.INFLUX_DATABASE,
            retentionPolicy: env.INFLUX_RETENTION_POLICY,
            token: env.INFLUX_TOKEN,
            username: env.INFLUX_USERNAME,
            password: env.INFLUX_PASSWORD,
          }
        : undefined,
  };
}
