import DataLoader from 'dataloader';
import type { Viewer } from '../auth/viewer.js';
import type { AlertRule } from '../domain/alerts.js';
import type { Aggregate, Bucket, LatestValue } from '../domain/telemetry.js';
import type { AlertRepository } from '../ports/alert-repository.js';
import type { ApiKeyRepository } from '../ports/api-key-repository.js';
import type { Device, DeviceRepository } from '../ports/device-repository.js';
import type { LiveHub } from '../ports/live-hub.js';
import type { TelemetryStore } from '../ports/telemetry-store.js';

/** The ports GraphQL resolvers reach; which adapters sit behind them is not their concern. */
export interface ApiServices {
  devices: DeviceRepository;
  telemetry: TelemetryStore;
  live: LiveHub;
  apiKeys: ApiKeyRepository;
  alerts: AlertRepository;
}

/** Server policy resolvers apply (from config). */
export interface ApiSettings {
  /** How long a rotated-out device token keeps working unless the caller asks otherwise. */
  deviceTokenGraceSeconds: number;
}

/** One `Device.telemetry` question, already validated by the resolver. */
export interface TelemetryQuestion {
  metrics: readonly string[];
  from: number;
  to: number;
  every: number;
  aggregates: readonly Aggregate[];
}

export interface TelemetryLoad {
  deviceId: string;
  question: TelemetryQuestion;
}

export interface Loaders {
  device: DataLoader<string, Device | null>;
  latest: DataLoader<string, readonly LatestValue[]>;
  /** A device's stored (non-empty) buckets for a question. */
  telemetry: DataLoader<TelemetryLoad, Bucket[], string>;
  alertRule: DataLoader<string, AlertRule | null>;
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

const questionKey = (question: TelemetryQuestion) =>
  JSON.stringify([
    question.metrics,
    question.from,
    question.to,
    question.every,
    question.aggregates,
  ]);

/** The devices of one batch asking one question, and the store's answer for them. */
interface TelemetryGroup {
  question: TelemetryQuestion;
  deviceIds: string[];
  byDevice?: Map<string, Bucket[]>;
}

/**
 * Devices asking the same question (a page of devices with the same `telemetry(...)` arguments)
 * are answered by one store call; different questions in one request each get their own.
 */
function createTelemetryLoader(services: ApiServices, organizationId: string) {
  return new DataLoader<TelemetryLoad, Bucket[], string>(
    async (loads) => {
      const groups = new Map<string, TelemetryGroup>();
      const groupOf = loads.map(({ deviceId, question }) => {
        const key = questionKey(question);
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { question, deviceIds: [] }));
        group.deviceIds.push(deviceId);
        return group;
      });
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const { question } = group;
          group.byDevice = await services.telemetry.aggregateDevices({
            orgId: organizationId,
            deviceIds: group.deviceIds,
            metrics: [...question.metrics],
            from: question.from,
            to: question.to,
            every: question.every,
            aggregates: [...question.aggregates],
          });
        }),
      );
      return loads.map(({ deviceId }, i) => groupOf[i]!.byDevice?.get(deviceId) ?? []);
    },
    { cacheKeyFn: ({ deviceId, question }) => `${questionKey(question)}${deviceId}` },
  );
}

export function createLoaders(services: ApiServices, organizationId: string): Loaders {
  return {
    telemetry: createTelemetryLoader(services, organizationId),
    device: new DataLoader((ids) => services.devices.findDevices(organizationId, ids)),
    latest: new DataLoader(async (deviceIds) => {
      const byDevice = await services.telemetry.latest(organizationId, deviceIds);
      return deviceIds.map((id) => byDevice.get(id) ?? []);
    }),
    alertRule: new DataLoader(async (ids) => {
      const rules = await services.alerts.findRules(organizationId, ids);
      const byId = new Map(rules.map((rule) => [rule.id, rule]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    }),
  };
}
