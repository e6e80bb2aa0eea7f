import type {
  Connectivity,
  ConnectivityChange,
  ConnectivityState,
} from '../domain/connectivity.js';
import type { Retention, RetentionPeriod } from '../domain/retention.js';

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
  /** When the server received the device's newest point. */
  lastSeenAt: Date | null;
  /** The device's own heartbeat timeout; null: its type's, else the server's. */
  heartbeatTimeoutSeconds: number | null;
  connectivity: Connectivity;
  createdAt: Date;
  updatedAt: Date;
}

/** A device's fields that change with its points rather than by its owner's hand. */
export type DeviceActivity = Pick<Device, 'lastSeenAt' | 'connectivity'>;

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
  heartbeatTimeoutSeconds?: number | null;
}

export interface DevicePatch {
  name?: string;
  type?: string;
  labels?: Record<string, string>;
  location?: GeoLocation | null;
  status?: DeviceStatus;
  /** null: inherit the type's or the server's again. */
  heartbeatTimeoutSeconds?: number | null;
}

/** An organization's settings for its devices of one type. */
export interface DeviceTypeSettings {
  type: string;
  /** null: the server's. */
  heartbeatTimeoutSeconds: number | null;
}

export interface DeviceFilter {
  type?: string;
  status?: DeviceStatus;
  /** Every pair must match. */
  labels?: Record<string, string>;
  /** Case-insensitive substring of name or externalId. */
  search?: string;
  /** Any of these states. */
  connectivity?: readonly ConnectivityState[];
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
  /** The organization's own raw retention, when it set one (domain/retention.ts). */
  rawRetention?: RetentionPeriod;
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
  /**
   * In the order asked, null for ids that are not devices of the organization. `fresh`: from the
   * database even where a metadata cache sits in front (subscriptions, which need activity as it
   * is for every event).
   */
  findDevices(
    organizationId: string,
    ids: readonly string[],
    options?: { fresh?: boolean },
  ): Promise<(Device | null)[]>;
  /**
   * What changes with the points, read afresh: for each of the ids that is a device of the
   * organization (others are absent), its lastSeenAt and connectivity.
   */
  findActivity(
    organizationId: string,
    ids: readonly string[],
  ): Promise<Map<string, DeviceActivity>>;
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
  /**
   * The devices behind credentials that are not (yet) revoked, in one round trip, keyed by token
   * hash (a hash whose credential is revoked or unknown is absent): the lookups of ingest's
   * concurrent requests, and MQTT connections re-checked together.
   */
  findIdentitiesByTokenHashes(tokenHashes: readonly string[]): Promise<Map<string, DeviceIdentity>>;
  /** How many of the organization's devices matching the filter are in each state. */
  countByConnectivity(
    organizationId: string,
    filter: DeviceFilter,
  ): Promise<Record<ConnectivityState, number>>;
  /** The types the organization's devices have or had settings for, by name. */
  listDeviceTypes(organizationId: string): Promise<DeviceTypeSettings[]>;
  /** Sets (null: clears) a type's settings; its devices' deadlines follow at once. */
  setDeviceType(organizationId: string, settings: DeviceTypeSettings): Promise<DeviceTypeSettings>;
  /**
   * Write-behind of the times the server received each device's points: each device's lastSeenAt
   * only ever moves forward, and its deadline (offlineAt) with it. The state itself is changed by
   * sweepConnectivity.
   */
  recordLastSeen(lastSeen: ReadonlyMap<string, number>): Promise<void>;
  /**
   * Every device whose deadline says another state than it has (a deadline passed, a device heard
   * from again, a timeout changed) moves to it. Each transition is claimed by exactly one caller
   * however many run at once (a row lock: a device locked by one sweep is skipped by the others),
   * and returned to that caller only.
   */
  sweepConnectivity(): Promise<ConnectivityChange[]>;
  /**
   * Every device's deadline from its lastSeenAt and the timeouts in force (the server's may have
   * changed since the last start); run once at start-up, before sweeping.
   */
  recomputeDeadlines(): Promise<void>;
  /**
   * The retention the organization set for its own data (domain/retention.ts); empty when it set
   * none, or does not exist.
   */
  getRetention(organizationId: string): Promise<Retention>;
  /** Sets the organization's own retention (a period left out: the server's). */
  setRetention(organizationId: string, retention: Retention): Promise<void>;
  /** Every organization that set a retention of its own, with it. */
  listRetentions(): Promise<Map<string, Retention>>;
}
