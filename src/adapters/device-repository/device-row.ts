/** Between the devices table's row (Prisma's model shape) and the port's Device. */
import type { Device, DeviceStatus, GeoLocation } from '../../ports/device-repository.js';

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
  createdAt: Date;
  updatedAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Device ids are uuid columns: anything else names no device (and must not reach a ::uuid cast). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

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

/** A jsonb labels column (an object, or its JSON text) as a flat string → string map. */
export function toLabels(value: unknown): Record<string, string> {
  if (typeof value === 'string') return toLabels(JSON.parse(value));
  const labels: Record<string, string> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return labels;
  for (const [key, label] of Object.entries(value)) {
    if (typeof label === 'string') labels[key] = label;
  }
  return labels;
}
