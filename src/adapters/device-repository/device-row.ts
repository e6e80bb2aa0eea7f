/** Between the devices table's row (Prisma's model shape) and the port's Device. */
import type { ConnectivityState } from '../../domain/connectivity.js';
import type { Device, DeviceStatus, GeoLocation } from '../../ports/device-repository.js';
import { toLabels } from '../prisma/columns.js';

/** The columns listDevices selects, aliased to the Prisma model's field names. */
export interface DeviceRow {
  id: string;
  organizationId: string;
  externalId: string;
  name: string;
  type: string;
  labels: unknown;
  latitude: number | null;
  longitude: number | null;
  altitude: number | null;
  status: DeviceStatus;
  lastSeenAt: Date | null;
  heartbeatTimeoutSeconds: number | null;
  connectivity: ConnectivityState;
  connectivitySince: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns of a DeviceRow in SQL, aliased to the Prisma model's field names. */
export const DEVICE_COLUMNS_SQL = `id, organization_id AS "organizationId", external_id AS "externalId",
  name, type, labels, latitude, longitude, altitude, status, last_seen_at AS "lastSeenAt",
  heartbeat_timeout_seconds AS "heartbeatTimeoutSeconds", connectivity,
  connectivity_since AS "connectivitySince", created_at AS "createdAt", updated_at AS "updatedAt"`;

export function toDevice(row: DeviceRow): Device {
  const location: GeoLocation | null =
    row.latitude === null || row.longitude === null
      ? null
      : { latitude: row.latitude, longitude: row.longitude, altitude: row.altitude };
  return {
    id: row.id.toLowerCase(),
    organizationId: row.organizationId,
    externalId: row.externalId,
    name: row.name,
    type: row.type,
    labels: toLabels(row.labels),
    location,
    status: row.status,
    lastSeenAt: row.lastSeenAt === null ? null : new Date(row.lastSeenAt),
    heartbeatTimeoutSeconds: row.heartbeatTimeoutSeconds,
    connectivity: { state: row.connectivity, since: new Date(row.connectivitySince) },
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}

export function toLocationColumns(location: GeoLocation | null) {
  return {
    latitude: location?.latitude ?? null,
    longitude: location?.longitude ?? null,
    altitude: location?.altitude ?? null,
  };
}
