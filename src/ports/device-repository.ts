export type DeviceStatus = 'ACTIVE' | 'DISABLED';

export interface GeoLocation {
  latitude: number;
  longitude: number;
  altitude?: number | null;
}

export interface Device {
  id: string;
  organizationId: string;
  externalId: string;
  name: string;
  type: string;
  labels: Record<string, string>;
  location: GeoLocation | null;
  status: DeviceStatus;
  lastSeenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
}

export interface NewDevice {
  organizationId: string;
  externalId: string;
  name: string;
  type: string;
  labels?: Record<string, string>;
  location?: GeoLocation | null;
}

export interface DevicePatch {
  name?: string;
  type?: string;
  labels?: Record<string, string>;
  location?: GeoLocation | null;
  status?: DeviceStatus;
}

export interface DeviceFilter {
  type?: string;
  status?: DeviceStatus;
  /** Every pair must match. */
  labels?: Record<string, string>;
  /** Case-insensitive substring of name or externalId. */
  search?: string;
}

export interface DevicePageRequest {
  organizationId: string;
  filter?: DeviceFilter;
  first: number;
  /** Opaque cursor: the id of the last device of the previous page. Order is by id. */
  after?: string;
}

export interface DevicePage {
  devices: Device[];
  hasNextPage: boolean;
}

/** What fleet analytics need of a device: which it is and what it can be grouped by. */
export interface FleetMember {
  id: string;
  type: string;
  labels: Record<string, string>;
}

/** The device a valid device token writes for, as ingest needs it. */
export interface DeviceIdentity {
  deviceId: string;
  organizationId: string;
  status: DeviceStatus;
}

export class DuplicateExternalIdError extends Error {
  constructor(externalId: string) {
    super(`a device with externalId "${externalId}" already exists in this organization`);
    this.name = 'DuplicateExternalIdError';
  }
}

/**
 * Device metadata: Prisma over PGlite embedded, over PostgreSQL in production.
 * Every read and write takes the organization id; a device of another organization is
 * indistinguishable from one that does not exist.
 */
export interface DeviceRepository {
  ensureOrganization(id: string, name: string): Promise<Organization>;
  /** Throws DuplicateExternalIdError when externalId is taken in the organization. */
  createDevice(device: NewDevice, tokenHash: string): Promise<Device>;
  findDevices(organizationId: string, ids: readonly string[]): Promise<(Device | null)[]>;
  listDevices(request: DevicePageRequest): Promise<DevicePage>;
  /** How many of the organization's devices match the filter. */
  countDevices(organizationId: string, filter: DeviceFilter): Promise<number>;
  /**
   * The organization's devices matching the filter, in id order, at most `limit` of them (ask
   * one more than you can take to learn that there were more).
   */
  listFleet(organizationId: string, filter: DeviceFilter, limit: number): Promise<FleetMember[]>;
  /** Null when the device does not exist in the organization. */
  updateDevice(organizationId: string, id: string, patch: DevicePatch): Promise<Device | null>;
  /**
   * Stores a new credential and revokes the device's live ones after `graceSeconds` (0: at once),
   * so devices can switch over; null if the device is not in the organization.
   */
  rotateCredential(
    organizationId: string,
    id: string,
    tokenHash: string,
    graceSeconds?: number,
  ): Promise<Device | null>;
  /** The device behind a credential that is not (yet) revoked. */
  findIdentityByTokenHash(tokenHash: string): Promise<DeviceIdentity | null>;
  /** Write-behind of last-seen times: each device's lastSeenAt only ever moves forward. */
  recordLastSeen(lastSeen: ReadonlyMap<string, number>): Promise<void>;
}
