/**
 * What every resolver receives. It sits with the builder (builder.ts types the schema with it),
 * so the schema and resolvers depend on this module, not on the api that serves them;
 * src/api/loaders.ts builds the loaders.
 */
import type DataLoader from 'dataloader';
import type { Viewer } from '../auth/viewer.js';
import type { AlertRule } from '../domain/alerts.js';
import type { Retention } from '../domain/retention.js';
import type { Aggregate, Bucket, LatestValue } from '../domain/telemetry.js';
import type { AlertRepository } from '../ports/alert-repository.js';
import type { ApiKeyRepository } from '../ports/api-key-repository.js';
import type { Device, DeviceActivity, DeviceRepository } from '../ports/device-repository.js';
import type { NotificationChannel } from '../domain/notifications.js';
import type { NotificationRepository } from '../ports/notification-repository.js';
import type { LiveHub } from '../ports/live-hub.js';
import type { TelemetryStore } from '../ports/telemetry-store.js';

/** The ports GraphQL resolvers reach; which adapters sit behind them is not their concern. */
export interface ApiServices {
  devices: DeviceRepository;
  telemetry: TelemetryStore;
  live: LiveHub;
  apiKeys: ApiKeyRepository;
  alerts: AlertRepository;
  notifications: NotificationRepository;
  /**
   * Points go live before they are stored (src/app/live-on-accept.ts): resolves once every point
   * the live hub may have delivered so far is stored, or rejects with StoreTimeoutError. Both
   * apps set it; absent only where no pipeline runs (tests that build the API on a store).
   */
  storedThrough?: () => Promise<void>;
}

/** Server policy resolvers apply (from config). */
export interface ApiSettings {
  /** How long a rotated-out device token keeps working unless the caller asks otherwise. */
  deviceTokenGraceSeconds: number;
  /** GRAPHQL_MAX_COST: what a fleet question's answer may hold, once its groups are known. */
  maxCost: number;
  /**
   * RAW_RETENTION and ROLLUP_RETENTION, every organization's upper bound (an organization may
   * set shorter ones: domain/retention.ts); left out: for ever.
   */
  retention?: Retention;
  /** NOTIFICATION_ALLOWED_NETWORKS: the non-public networks a webhook may point into. */
  notificationAllowedNetworks: readonly string[];
}

/** One `Device.telemetry` question, already validated by the resolver. */
export interface TelemetryQuestion {
  metrics: readonly string[];
  from: number;
  to: number;
  every: number;
  /** Buckets start at origin + k·every. */
  origin: number;
  aggregates: readonly Aggregate[];
  /** Distinct, in the order asked (AggregateQuery.percentiles). */
  percentiles: readonly number[];
  /** Where a counter's previous point may be found (AggregateQuery.counterFrom). */
  counterFrom: number;
}

export interface TelemetryLoad {
  deviceId: string;
  question: TelemetryQuestion;
}

export interface Loaders {
  device: DataLoader<string, Device | null>;
  /** lastSeenAt and connectivity read afresh, for devices whose metadata came from the cache. */
  activity: DataLoader<string, DeviceActivity | null>;
  latest: DataLoader<string, readonly LatestValue[]>;
  /** A device's stored (non-empty) buckets for a question. */
  telemetry: DataLoader<TelemetryLoad, Bucket[], string>;
  alertRule: DataLoader<string, AlertRule | null>;
  notificationChannel: DataLoader<string, NotificationChannel | null>;
  /** The channels each rule routes to. */
  ruleChannelIds: DataLoader<string, string[]>;
  /** The retention each organization set for its own data (resolvers/retention.ts). */
  organizationRetention: DataLoader<string, Retention>;
}

/** Built fresh for every request (and every WebSocket operation): loaders never leak across. */
export interface GraphQLContext {
  viewer: Viewer;
  /**
   * Verifies the caller's credential again (an API key may have been revoked since), for
   * subscription streams that outlive their request. Absent over graphql-ws: the connection
   * re-checks its own credential (websocket.ts).
   */
  reverifyCredential?: () => Promise<Viewer>;
  services: ApiServices;
  settings: ApiSettings;
  loaders: Loaders;
}
