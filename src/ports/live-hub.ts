import type { AlertEvent } from '../domain/alerts.js';
import type { ConnectivityChange } from '../domain/connectivity.js';
import type { TelemetryPoint } from '../domain/telemetry.js';

export type LiveListener = (point: TelemetryPoint) => void;
export type AlertListener = (event: AlertEvent) => void;
export type ConnectivityListener = (change: ConnectivityChange) => void;

/**
 * Live fan-out of stored points to subscribers, per device: in-process embedded, Redis pub/sub
 * in production (so any API replica serves any subscriber). Channels are scoped by organization.
 * Alert status changes and connectivity transitions travel the same way, each on one channel per
 * organization.
 */
export interface LiveHub {
  publish(points: readonly TelemetryPoint[]): Promise<void>;
  /** Returns the unsubscribe function. Delivery starts once the returned promise resolves. */
  subscribe(orgId: string, deviceId: string, listener: LiveListener): Promise<() => void>;
  /**
   * Every point of every device of the organization, devices registered later included (for
   * subscriptions by filter). Returns the unsubscribe function; delivery starts once it resolves.
   */
  subscribeOrganization(orgId: string, listener: LiveListener): Promise<() => void>;
  publishAlerts(events: readonly AlertEvent[]): Promise<void>;
  /** Every alert status change of the organization; returns the unsubscribe function. */
  subscribeAlerts(orgId: string, listener: AlertListener): Promise<() => void>;
  publishConnectivity(changes: readonly ConnectivityChange[]): Promise<void>;
  /** Every connectivity transition of the organization; returns the unsubscribe function. */
  subscribeConnectivity(orgId: string, listener: ConnectivityListener): Promise<() => void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
