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
  JWT_JWKS_URL: optionalString.pipe(z.url().optional()),
  JWT_ALGORITHMS: optionalString.pipe(
    list.pipe(z.array(z.enum(['HS256', 'RS256', 'ES256', 'PS256', 'EdDSA']))).optional(),
  ),
  JWT_ISSUER: z.string().default('iot-analytics'),
  JWT_AUDIENCE: z.string().default('iot-analytics-api'),
  JWT_ORG_CLAIM: z.string().default('org'),
  JWT_ROLE_CLAIM: z.string().default('role'),
  JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  DEVICE_TOKEN_GRACE_SECONDS: z.coerce.number().int().min(0).default(3_600),

  RATE_LIMIT_DEVICE_PER_SECOND: z.coerce.number().positive().default(20),
  RATE_LIMIT_DEVICE_BURST: positiveInt(100),
  RATE_LIMIT_USER_PER_SECOND: z.coerce.number().positive().default(50),
  RATE_LIMIT_USER_BURST: positiveInt(200),
  RATE_LIMIT_API_KEY_PER_SECOND: z.coerce.number().positive().default(50),
  RATE_LIMIT_API_KEY_BURST: positiveInt(200),
  /** JSON: {"<organization id>": {"device"|"user"|"apiKey": {"perSecond": n, "burst": n}}}. */
  RATE_LIMITS_BY_ORGANIZATION: optionalString.pipe(
    z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(
        z.record(
          z.string(),
          // partialRecord: an organization overrides only the kinds it lists (zod 4's record
          // with enum keys requires every key).
          z.partialRecord(
            z.enum(['device', 'user', 'apiKey']),
            z.object({ perSecond: z.number().positive(), burst: z.number().int().positive() }),
          ),
        ),
      )
      .optional(),
  ),

  GRAPHQL_MAX_DEPTH: positiveInt(10),
  GRAPHQL_MAX_ALIASES: positiveInt(20),
  GRAPHQL_MAX_TOKENS: positiveInt(2_000),
  GRAPHQL_MAX_COST: positiveInt(20_000),
  GRAPHQL_MAX_BODY_BYTES: positiveInt(100_000),
  /** Default: on in embedded mode, off in production. */
  GRAPHQL_INTROSPECTION: optionalString.pipe(z.enum(['true', 'false']).optional()),
  /** A dashboard is one socket, a panel one subscription (of up to 100 devices). */
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(100),
  /** Per user or API key, across its sockets and SSE streams, in one api process. */
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: positiveInt(500),

  INGEST_MAX_BODY_BYTES: positiveInt(1_048_576),
  INGEST_MAX_POINTS: positiveInt(10_000),

  PIPELINE_BATCH_SIZE: positiveInt(5_000),
  LAST_SEEN_FLUSH_MS: positiveInt(1_000),
  ALERT_RULE_CACHE_MS: z.coerce.number().int().min(0).default(5_000),

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

const INFLUX = ['INFLUX_URL', 'INFLUX_DATABASE'] as const;
/** `JWT` stands for "JWT_SECRET or JWT_JWKS_URL". */
type Requirement = keyof Environment | 'JWT';
/** The production processes `src/main.ts` runs, and what each cannot start without. */
const REQUIRED_BY_ROLE = {
  api: ['JWT', 'DATABASE_URL', 'REDIS_URL', ...INFLUX],
  ingest: ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS'],
  pipeline: ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', ...INFLUX],
} satisfies Record<string, readonly Requirement[]>;
/** What a config is loaded for: a production role, `migrate`, or the simulator (needs nothing). */
export type ConfigPurpose = keyof typeof REQUIRED_BY_ROLE | 'migrate' | 'simulate';
const REQUIRED_IN_PRODUCTION: Record<ConfigPurpose, readonly Requirement[]> = {
  ...REQUIRED_BY_ROLE,
  migrate: ['DATABASE_URL'],
  simulate: [],
};
/** Without a purpose (an unknown role, tests): whatever any production role needs. */
const REQUIRED_BY_ANY_ROLE = [...new Set(Object.values(REQUIRED_BY_ROLE).flat())];

/**
 * The production settings that are missing, read from the raw source rather than refined on the
 * parsed object: zod 4 skips a refinement once any field has failed, so a typo in one setting
 * would hide every missing one until the next run.
 */
function missingInProduction(
  source: Record<string, string | undefined>,
  purpose: ConfigPurpose | undefined,
): string[] {
  if (source.MODE !== 'production') return [];
  const given = (key: string) => (source[key] ?? '') !== '';
  const role = purpose ? ` for the ${purpose} process` : '';
  const problems: string[] = [];
  for (const requirement of purpose ? REQUIRED_IN_PRODUCTION[purpose] : REQUIRED_BY_ANY_ROLE) {
    if (requirement === 'JWT') {
      if (!given('JWT_SECRET') && !given('JWT_JWKS_URL')) {
        problems.push(
          `JWT_SECRET: JWT_SECRET or JWT_JWKS_URL is required when MODE=production${role}`,
        );
      }
    } else if (!given(requirement)) {
      problems.push(`${requirement}: is required when MODE=production${role}`);
    }
  }
  if (given('JWT_JWKS_URL') && !isSecureUrl(source.JWT_JWKS_URL!)) {
    // Keys fetched over plain HTTP can be swapped in transit, and with them every token.
    problems.push('JWT_JWKS_URL: must be https:// when MODE=production (http only on loopback)');
  }
  return problems;
}

function isSecureUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:') return true;
    return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  } catch {
    return true; // not a URL at all: the schema reports that
  }
}

export type Environment = z.infer<typeof environmentShape>;

export interface Config {
  mode: Environment['MODE'];
  host: string;
  ports: { api: number; ingest: number; pipeline: number };
  dataDir: string;
  logLevel: Environment['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  auth: {
    jwtSecret?: string;
    jwksUrl?: string;
    /** Allow-list; defaults to HS256 with a secret, RS256 and ES256 with a JWKS URL. */
    algorithms: string[];
    issuer: string;
    audience: string;
    organizationClaim: string;
    roleClaim: string;
    clockToleranceSeconds: number;
  };
  deviceTokenGraceSeconds: number;
  rateLimits: RateLimitSettings;
  graphql: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxCost: number;
    maxBodyBytes: number;
    introspection: boolean;
    /** Active subscriptions one graphql-ws connection may hold. */
    maxSubscriptionsPerConnection: number;
    /** Active subscriptions one user or API key may hold in this api process. */
    maxSubscriptionsPerUser: number;
  };
  ingest: { maxBodyBytes: number; maxPoints: number };
  pipeline: { batchSize: number; lastSeenFlushMs: number; alertRuleCacheMs: number };
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

/** Token buckets: `burst` requests at once, refilled at `perSecond`. */
export interface Bucket {
  perSecond: number;
  burst: number;
}

export type RateLimitSubject = 'device' | 'user' | 'apiKey';

export interface RateLimitSettings {
  defaults: Record<RateLimitSubject, Bucket>;
  byOrganization: Record<string, Partial<Record<RateLimitSubject, Bucket>>>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses settings from an environment (process.env by default); throws ConfigError listing every
 * problem, bad values and missing production settings together. With MODE=production, `purpose`
 * says which process the settings are for, so each checks only what it uses (`migrate`: the
 * database); without one, everything any production role needs is required.
 */
export function loadConfig(
  source: Record<string, string | undefined> = process.env,
  purpose?: ConfigPurpose,
): Config {
  const parsed = environmentShape.safeParse(source);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map(
          (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
        )),
    ...missingInProduction(source, purpose),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;
  return {
    mode: env.MODE,
    host: env.HOST,
    ports: { api: env.PORT, ingest: env.INGEST_PORT, pipeline: env.PIPELINE_PORT },
    dataDir: env.DATA_DIR,
    logLevel: env.LOG_LEVEL,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    auth: {
      jwtSecret: env.JWT_SECRET,
      jwksUrl: env.JWT_JWKS_URL,
      algorithms: env.JWT_ALGORITHMS ?? (env.JWT_JWKS_URL ? ['RS256', 'ES256'] : ['HS256']),
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      organizationClaim: env.JWT_ORG_CLAIM,
      roleClaim: env.JWT_ROLE_CLAIM,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
    },
    deviceTokenGraceSeconds: env.DEVICE_TOKEN_GRACE_SECONDS,
    rateLimits: {
      defaults: {
        device: { perSecond: env.RATE_LIMIT_DEVICE_PER_SECOND, burst: env.RATE_LIMIT_DEVICE_BURST },
        user: { perSecond: env.RATE_LIMIT_USER_PER_SECOND, burst: env.RATE_LIMIT_USER_BURST },
        apiKey: {
          perSecond: env.RATE_LIMIT_API_KEY_PER_SECOND,
          burst: env.RATE_LIMIT_API_KEY_BURST,
        },
      },
      byOrganization: env.RATE_LIMITS_BY_ORGANIZATION ?? {},
    },
    graphql: {
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxCost: env.GRAPHQL_MAX_COST,
      maxBodyBytes: env.GRAPHQL_MAX_BODY_BYTES,
      introspection: env.GRAPHQL_INTROSPECTION
        ? env.GRAPHQL_INTROSPECTION === 'true'
        : env.MODE === 'embedded',
      maxSubscriptionsPerConnection: env.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSubscriptionsPerUser: env.GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER,
    },
    ingest: { maxBodyBytes: env.INGEST_MAX_BODY_BYTES, maxPoints: env.INGEST_MAX_POINTS },
    pipeline: {
      batchSize: env.PIPELINE_BATCH_SIZE,
      lastSeenFlushMs: env.LAST_SEEN_FLUSH_MS,
      alertRuleCacheMs: env.ALERT_RULE_CACHE_MS,
    },
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
