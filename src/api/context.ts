import DataLoader from 'dataloader';
import type { Viewer } from '../auth/viewer.js';
import type { AlertRule } from '../domain/alerts.js';
import type { LatestValue } from '../domain/telemetry.js';
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

export interface Loaders {
  device: DataLoader<string, Device | null>;
  latest: DataLoader<string, LatestValue[]>;
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

export function createLoaders(services: ApiServices, organizationId: string): Loaders {
  return {
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
