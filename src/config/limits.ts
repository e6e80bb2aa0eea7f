import { z } from 'zod';
import {
  DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
  MAX_HEARTBEAT_TIMEOUT_SECONDS,
} from '../domain/connectivity.js';
import { optionalString, positiveInt } from './fields.js';
import type { Mode } from './server.js';

const bucket = z.object({ perSecond: z.number().positive(), burst: z.number().int().positive() });
/** JSON: {"<organization id>": {"device"|"user"|"apiKey": {"perSecond": n, "burst": n}}}. */
const organizationOverrides = z
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
      // partialRecord: an organization overrides only the kinds it lists (zod 4's record with
      // enum keys requires every key).
      z.partialRecord(z.enum(['device', 'user', 'apiKey']), bucket),
    ),
  );

/**
 * How much each process takes on: rate limits (token buckets), GraphQL and ingest request
 * limits, and the pipeline's batch size and timings. GraphQL introspection is on in embedded
 * mode and off in production unless set.
 */
export const limitsSettings = (mode: Mode) =>
  z
    .object({
      RATE_LIMIT_DEVICE_PER_SECOND: z.coerce.number().positive().default(20),
      RATE_LIMIT_DEVICE_BURST: positiveInt(100),
      RATE_LIMIT_USER_PER_SECOND: z.coerce.number().positive().default(50),
      RATE_LIMIT_USER_BURST: positiveInt(200),
      RATE_LIMIT_API_KEY_PER_SECOND: z.coerce.number().positive().default(50),
      RATE_LIMIT_API_KEY_BURST: positiveInt(200),
      RATE_LIMITS_BY_ORGANIZATION: optionalString.pipe(organizationOverrides.optional()),

      GRAPHQL_MAX_DEPTH: positiveInt(10),
      GRAPHQL_MAX_ALIASES: positiveInt(20),
      GRAPHQL_MAX_TOKENS: positiveInt(2_000),
      GRAPHQL_MAX_COST: positiveInt(20_000),
      GRAPHQL_MAX_BODY_BYTES: positiveInt(100_000),
      GRAPHQL_INTROSPECTION: optionalString.pipe(z.enum(['true', 'false']).optional()),
      /** A dashboard is one socket, a panel one subscription (of up to 100 devices). */
      GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(100),
      /** Per user or API key, across its sockets and SSE streams, in one api process. */
      GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: positiveInt(500),

      /** Devices' metadata the api holds in memory (src/adapters/device-repository/device-metadata-cache.ts); 0: none. */
      DEVICE_CACHE_ENTRIES: z.coerce.number().int().min(0).default(50_000),
      DEVICE_CACHE_TTL_MS: positiveInt(60_000),

      INGEST_MAX_BODY_BYTES: positiveInt(1_048_576),
      INGEST_MAX_POINTS: positiveInt(10_000),
      /** How long one telemetry read may run before the store stops it (STORE_TIMEOUT). */
      STORE_QUERY_TIMEOUT_MS: positiveInt(30_000),

      PIPELINE_BATCH_SIZE: positiveInt(5_000),
      LAST_SEEN_FLUSH_MS: positiveInt(1_000),
      ALERT_RULE_CACHE_MS: z.coerce.number().int().min(0).default(5_000),

      /** A device is OFFLINE once silent this long, unless its own or its type's says otherwise. */
      HEARTBEAT_TIMEOUT_SECONDS: z.coerce
        .number()
        .int()
        .min(1)
        .max(MAX_HEARTBEAT_TIMEOUT_SECONDS)
        .default(DEFAULT_HEARTBEAT_TIMEOUT_SECONDS),
      /** How often the pipeline looks for devices whose deadline passed (src/pipeline/connectivity-sweeper.ts). */
      CONNECTIVITY_SWEEP_MS: positiveInt(500),
    })
    .transform((env) => {
      const byOrganization: z.output<typeof organizationOverrides> =
        env.RATE_LIMITS_BY_ORGANIZATION ?? {};
      return {
        /** Token buckets: `burst` requests at once, refilled at `perSecond`. */
        rateLimits: {
          defaults: {
            device: {
              perSecond: env.RATE_LIMIT_DEVICE_PER_SECOND,
              burst: env.RATE_LIMIT_DEVICE_BURST,
            },
            user: { perSecond: env.RATE_LIMIT_USER_PER_SECOND, burst: env.RATE_LIMIT_USER_BURST },
            apiKey: {
              perSecond: env.RATE_LIMIT_API_KEY_PER_SECOND,
              burst: env.RATE_LIMIT_API_KEY_BURST,
            },
          },
          byOrganization,
        },
        graphql: {
          maxDepth: env.GRAPHQL_MAX_DEPTH,
          maxAliases: env.GRAPHQL_MAX_ALIASES,
          maxTokens: env.GRAPHQL_MAX_TOKENS,
          maxCost: env.GRAPHQL_MAX_COST,
          maxBodyBytes: env.GRAPHQL_MAX_BODY_BYTES,
          introspection: env.GRAPHQL_INTROSPECTION
            ? env.GRAPHQL_INTROSPECTION === 'true'
            : mode === 'embedded',
          /** Active subscriptions one graphql-ws connection may hold. */
          maxSubscriptionsPerConnection: env.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
          /** Active subscriptions one user or API key may hold in this api process. */
          maxSubscriptionsPerUser: env.GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER,
        },
        /** The api's cache of device metadata, checked against the organization's version per read. */
        deviceCache: { maxEntries: env.DEVICE_CACHE_ENTRIES, ttlMs: env.DEVICE_CACHE_TTL_MS },
        ingest: { maxBodyBytes: env.INGEST_MAX_BODY_BYTES, maxPoints: env.INGEST_MAX_POINTS },
        storeQueryTimeoutMs: env.STORE_QUERY_TIMEOUT_MS,
        pipeline: {
          batchSize: env.PIPELINE_BATCH_SIZE,
          lastSeenFlushMs: env.LAST_SEEN_FLUSH_MS,
          alertRuleCacheMs: env.ALERT_RULE_CACHE_MS,
          connectivitySweepMs: env.CONNECTIVITY_SWEEP_MS,
        },
        /** The server's heartbeat timeout (domain/connectivity.ts). */
        heartbeatTimeoutSeconds: env.HEARTBEAT_TIMEOUT_SECONDS,
      };
    });

export type RateLimitSettings = z.output<ReturnType<typeof limitsSettings>>['rateLimits'];
export type RateLimitSubject = keyof RateLimitSettings['defaults'];
/** Token buckets: `burst` requests at once, refilled at `perSecond`. */
export type Bucket = z.output<typeof bucket>;
