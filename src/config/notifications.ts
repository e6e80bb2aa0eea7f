import { z } from 'zod';
import { parseEvery } from '../domain/query-limits.js';
import { parseSecretsKey } from '../auth/sealed-secrets.js';
import { cidrProblem } from '../notifications/destination.js';
import { list, optionalString, positiveInt, type Requirement } from './fields.js';

/** "30s", "5m", "24h": a duration as GraphQL arguments take them, in ms. */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const parsed = parseEvery(text);
      if ('ms' in parsed) return parsed.ms;
      ctx.addIssue({ code: 'custom', message: 'must be a duration like 500ms, 30s, 5m or 24h' });
      return z.NEVER;
    });

const networks = list.superRefine((cidrs, ctx) => {
  for (const cidr of cidrs) {
    const problem = cidrProblem(cidr);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }
});

/** A key that seals channel secrets (auth/sealed-secrets.ts); the problem names no key. */
const secretsKey = z.string().transform((text, ctx) => {
  const key = parseSecretsKey(text);
  if (!('problem' in key)) return key;
  ctx.addIssue({ code: 'custom', message: key.problem });
  return z.NEVER;
});

/**
 * How alert notifications are sent (src/notifications/): retried with exponential backoff from
 * NOTIFICATION_RETRY_INITIAL up to NOTIFICATION_RETRY_MAX_INTERVAL between attempts, for
 * NOTIFICATION_RETRY_FOR after the change (then given up); each attempt bounded by
 * NOTIFICATION_TIMEOUT. Destinations must be public addresses unless inside one of
 * NOTIFICATION_ALLOWED_NETWORKS (CIDRs, e.g. 10.0.0.0/8 for an in-cluster receiver). Finished
 * deliveries and their attempts are kept for NOTIFICATION_HISTORY, then deleted. Channel secrets
 * are stored sealed with NOTIFICATION_SECRETS_KEY; after a rotation, the keys before it in
 * NOTIFICATION_SECRETS_PREVIOUS_KEYS open what they sealed until it is sealed again.
 */
export const notificationSettings = z
  .object({
    NOTIFICATION_RETRY_FOR: duration('24h'),
    NOTIFICATION_RETRY_INITIAL: duration('5s'),
    NOTIFICATION_RETRY_MAX_INTERVAL: duration('1h'),
    NOTIFICATION_TIMEOUT: duration('10s'),
    NOTIFICATION_ALLOWED_NETWORKS: optionalString.pipe(networks.optional()),
    /** How often the dispatcher looks for due deliveries (a new change wakes it at once). */
    NOTIFICATION_POLL_MS: positiveInt(1_000),
    NOTIFICATION_HISTORY: duration('30d'),
    PAGERDUTY_EVENTS_URL: z.url().default('https://events.pagerduty.com/v2/enqueue'),
    NOTIFICATION_SECRETS_KEY: optionalString.pipe(secretsKey.optional()),
    NOTIFICATION_SECRETS_PREVIOUS_KEYS: optionalString.pipe(
      list.pipe(z.array(secretsKey)).optional(),
    ),
  })
  .transform((env) => ({
    notifications: {
      retryForMs: env.NOTIFICATION_RETRY_FOR,
      retryInitialMs: env.NOTIFICATION_RETRY_INITIAL,
      retryMaxIntervalMs: env.NOTIFICATION_RETRY_MAX_INTERVAL,
      timeoutMs: env.NOTIFICATION_TIMEOUT,
      allowedNetworks: env.NOTIFICATION_ALLOWED_NETWORKS ?? [],
      pollMs: env.NOTIFICATION_POLL_MS,
      historyMs: env.NOTIFICATION_HISTORY,
      pagerDutyEventsUrl: env.PAGERDUTY_EVENTS_URL,
      /** Unset: embedded generates one in DATA_DIR; production refuses to start. */
      secretsKey: env.NOTIFICATION_SECRETS_KEY,
      previousSecretsKeys: env.NOTIFICATION_SECRETS_PREVIOUS_KEYS ?? [],
    },
  }));

/** The api seals channel secrets and the pipeline opens them: both need the key. */
export const channelSecretsKeyRequired: Requirement = (given) =>
  given('NOTIFICATION_SECRETS_KEY')
    ? []
    : [
        {
          setting: 'NOTIFICATION_SECRETS_KEY',
          problem:
            'NOTIFICATION_SECRETS_KEY is required: 32 random bytes in base64 (openssl rand -base64 32) that seal notification channel secrets',
        },
      ];

export type NotificationSettings = z.output<typeof notificationSettings>['notifications'];
