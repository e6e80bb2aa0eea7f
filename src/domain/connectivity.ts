/**
 * Device connectivity: a device is ONLINE while it has been heard from within its heartbeat
 * timeout, OFFLINE after, NEVER_SEEN before its first point. "Heard from" is the time the server
 * received a point (ingest stamps it), not the point's own time, which a device with a wrong
 * clock or a backfill makes meaningless.
 *
 * The timeout is the device's own, else its type's (per organization), else the server's
 * (HEARTBEAT_TIMEOUT_SECONDS).
 */
export type ConnectivityState = 'NEVER_SEEN' | 'ONLINE' | 'OFFLINE';

export const CONNECTIVITY_STATES: readonly ConnectivityState[] = [
  'NEVER_SEEN',
  'ONLINE',
  'OFFLINE',
];

export interface Connectivity {
  state: ConnectivityState;
  /** When the state began: the first point's receipt (ONLINE), the deadline passed (OFFLINE). */
  since: Date;
}

/** One device's transition, as the connectivity sweep claims it (exactly once). */
export interface ConnectivityChange {
  organizationId: string;
  deviceId: string;
  state: ConnectivityState;
  previous: ConnectivityState;
  /** Epoch ms. */
  since: number;
}

/** The server's heartbeat timeout unless HEARTBEAT_TIMEOUT_SECONDS says otherwise: 5 minutes. */
export const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 300;

/** The longest heartbeat timeout a device or type can set: 30 days. */
export const MAX_HEARTBEAT_TIMEOUT_SECONDS = 30 * 86_400;
