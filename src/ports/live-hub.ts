import type { TelemetryPoint } from '../domain/telemetry.js';

export type LiveListener = (point: TelemetryPoint) => void;

/**
 * Live fan-out of stored points to subscribers, per device: in-process embedded, Redis pub/sub
 * in production (so any API replica serves any subscriber). Channels are scoped by organization.
 */
export interface LiveHub {
  publish(points: readonly TelemetryPoint[]): Promise<void>;
  /** Returns the unsubscribe function. Delivery starts once the returned promise resolves. */
  subscribe(orgId: string, deviceId: string, listener: LiveListener): Promise<() => void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
