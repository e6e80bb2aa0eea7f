/**
 * The only reader of process.env (docs/architecture.md, Layout). Each concern has its model: a
 * zod object of its variables, transformed into its section (server.ts, log.ts, auth.ts,
 * limits.ts, retention.ts, notifications.ts, mqtt.ts, metrics.ts, tracing.ts, and the production engines database.ts, redis.ts, kafka.ts,
 * influx.ts). This file composes them into one config per mode and role, whose type says which sections it has: a
 * production role's config has every engine that role uses, present, and no other. All problems
 * are reported at once and the process exits non-zero instead of starting half-configured.
 */
import type { z } from 'zod';
import { authSettings, userTokensRequired } from './auth.js';
import { databaseRequired, databaseSettings } from './database.js';
import type { Requirement } from './fields.js';
import { influxRequired, influxSettings } from './influx.js';
import { kafkaRequired, kafkaSettings } from './kafka.js';
import { limitsSettings } from './limits.js';
import { logSettings } from './log.js';
import { metricsSettings } from './metrics.js';
import { mqttSettings } from './mqtt.js';
import { channelSecretsKeyRequired, notificationSettings } from './notifications.js';
import { redisRequired, redisSettings } from './redis.js';
import { retentionSettings } from './retention.js';
import { serverSettings, type Mode } from './server.js';
import { tracingSettings } from './tracing.js';

export type { Bucket, RateLimitSettings, RateLimitSubject } from './limits.js';
export type { Mode } from './server.js';

/** The concerns every process has, whatever its mode and role. */
const everyProcess = (mode: Mode) => ({
  server: serverSettings,
  log: logSettings,
  auth: authSettings(mode),
  limits: limitsSettings(mode),
  retention: retentionSettings,
  notifications: notificationSettings,
  mqtt: mqttSettings,
  metrics: metricsSettings,
  tracing: tracingSettings,
});

/** The production engines, under the name their section has in a config. */
const engines = {
  postgres: databaseSettings,
  redis: redisSettings,
  kafka: kafkaSettings,
  influx: influxSettings,
};

/** What a production process may need: an engine, or a way to verify user tokens. */
const requirements = {
  postgres: databaseRequired,
  redis: redisRequired,
  kafka: kafkaRequired,
  influx: influxRequired,
  userTokens: userTokensRequired,
  channelSecretsKey: channelSecretsKeyRequired,
} satisfies Record<keyof typeof engines | 'userTokens' | 'channelSecretsKey', Requirement>;
type Need = keyof typeof requirements;

/** The production processes `src/main.ts` runs, and what each cannot start without. */
const ROLE_NEEDS = {
  api: ['userTokens', 'channelSecretsKey', 'postgres', 'redis', 'kafka', 'influx'],
  ingest: ['postgres', 'redis', 'kafka'],
  pipeline: ['channelSecretsKey', 'postgres', 'redis', 'kafka', 'influx'],
} as const satisfies Record<string, readonly Need[]>;
const NEEDS = {
  ...ROLE_NEEDS,
  migrate: ['postgres'],
  /** The simulator is a client of a running server: it signs a token or is given one. */
  simulate: [],
} as const satisfies Record<string, readonly Need[]>;
/** Without a purpose (an unknown role, tests): whatever any production role needs. */
const ANY_ROLE_NEEDS: readonly Need[] = [...new Set(Object.values(ROLE_NEEDS).flat())];

export type ProcessRole = keyof typeof ROLE_NEEDS;
/** What a config is loaded for: a production role, `migrate`, or the simulator. */
export type ConfigPurpose = keyof typeof NEEDS;

type Parsed<Models> = { [Name in keyof Models]: z.output<Models[Name]> };

/** Every process's settings, the sections of `everyProcess` side by side. */
const commonSettings = (parsed: Parsed<ReturnType<typeof everyProcess>>) => ({
  ...parsed.server,
  ...parsed.log,
  ...parsed.auth,
  ...parsed.limits,
  ...parsed.retention,
  ...parsed.notifications,
  ...parsed.mqtt,
  ...parsed.metrics,
  ...parsed.tracing,
});

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type CommonSettings = ReturnType<typeof commonSettings>;
/** Each engine's section, as a process that needs the engine has it. */
export type EngineSettings = {
  [Name in keyof typeof engines]: NonNullable<Parsed<typeof engines>[Name]>;
};
type EnginesNeededBy<P extends ConfigPurpose> = Extract<
  (typeof NEEDS)[P][number],
  keyof EngineSettings
>;

/** The product in one process: every common setting, the data folder, no production engine. */
export type EmbeddedConfig = Simplify<CommonSettings & { mode: 'embedded' }>;
/**
 * A production process loaded for `P`: the common settings and the section of every engine `P`
 * needs, present. For a union of purposes, what all of them need.
 */
export type ProductionConfig<P extends ConfigPurpose> = Simplify<
  CommonSettings & { mode: 'production' } & Pick<EngineSettings, EnginesNeededBy<P>>
>;
export type ApiConfig = ProductionConfig<'api'>;
export type IngestConfig = ProductionConfig<'ingest'>;
export type PipelineConfig = ProductionConfig<'pipeline'>;
/** What `loadConfig(source, purpose)` returns: MODE decides which, so either. */
export type LoadedConfig<P extends ConfigPurpose> = P extends ConfigPurpose
  ? EmbeddedConfig | ProductionConfig<P>
  : never;
/** Any config, either mode, any purpose: for code that reads only the common settings. */
export type Config = EmbeddedConfig | ProductionConfig<never>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

/**
 * Parses settings from an environment (process.env by default); throws ConfigError listing every
 * problem, bad values and missing production settings together. With MODE=production, `purpose`
 * says which process the settings are for, so each is asked only for what it uses (`migrate`:
 * the database) and its config has those engines; without one, everything any production role
 * needs is required.
 */
export function loadConfig<P extends ConfigPurpose>(
  source: Source | undefined,
  purpose: P,
): LoadedConfig<P>;
export function loadConfig(source?: Source): EmbeddedConfig | ProductionConfig<ProcessRole>;
export function loadConfig(source: Source = process.env, purpose?: ConfigPurpose): Config {
  // What the mode-dependent defaults and rules go by. A MODE that is neither is reported by
  // server.ts, and then nothing is returned.
  const mode: Mode = source.MODE === 'production' ? 'production' : 'embedded';
  const needs = purpose ? NEEDS[purpose] : ANY_ROLE_NEEDS;
  const common = parseAll(everyProcess(mode), source);
  const engine = parseAll(engines, source);
  const problems = [
    ...common.problems,
    ...engine.problems,
    ...(mode === 'production' ? missingInProduction(source, needs, purpose) : []),
  ];
  if (!common.parsed || !engine.parsed || problems.length > 0) throw new ConfigError(problems);
  const settings = commonSettings(common.parsed);
  if (settings.mode === 'embedded') return { ...settings, mode: 'embedded' };
  return { ...settings, mode: 'production', ...enginesFor(needs, engine.parsed) };
}

/** Parses `source` with each model; every model reports all of its problems. */
function parseAll<Models extends Record<string, z.ZodType>>(models: Models, source: Source) {
  const parsed: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, model] of Object.entries(models)) {
    const result = model.safeParse(source);
    if (result.success) parsed[name] = result.data;
    else {
      problems.push(
        ...result.error.issues.map(
          (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
        ),
      );
    }
  }
  return { parsed: problems.length === 0 ? (parsed as Parsed<Models>) : undefined, problems };
}

/** Each need's missing settings, on the raw source (see Requirement in fields.ts). */
function missingInProduction(
  source: Source,
  needs: readonly Need[],
  purpose: ConfigPurpose | undefined,
): string[] {
  const given = (key: string) => (source[key] ?? '') !== '';
  const role = purpose ? ` for the ${purpose} process` : '';
  return needs.flatMap((need) =>
    requirements[need](given).map(
      ({ setting, problem }) => `${setting}: ${problem} when MODE=production${role}`,
    ),
  );
}

/**
 * The sections of the engines in `needs`. Every one is there once its requirement holds; if one
 * is not, its model builds the section from settings its requirement does not list.
 */
function enginesFor(needs: readonly Need[], parsed: Parsed<typeof engines>) {
  const sections = needs
    .filter((need): need is keyof EngineSettings => Object.hasOwn(engines, need))
    .map((name) => {
      const section = parsed[name];
      if (section === undefined) {
        throw new Error(`config: ${name} is required and given, yet its model built no section`);
      }
      return [name, section];
    });
  return Object.fromEntries(sections) as Partial<EngineSettings>;
}
