import type { Device } from './device-repository.js';

/**
 * A counter per organization that moves forward after every committed change of its devices'
 * metadata (what a device is: its name, type, labels, location, status, own heartbeat timeout),
 * so a cache of that metadata learns by one cheap read whether what it holds is still current,
 * on every api replica at once. Activity (lastSeenAt, connectivity) is not metadata: it changes
 * with the points and is never served from such a cache.
 */
export interface DeviceMetadataVersions {
  /** The organization's current version; undefined when it cannot be read (then read the database). */
  current(organizationId: string): Promise<string | undefined>;
  /** After a change to the organization's devices has committed, before it is answered. */
  bump(organizationId: string): Promise<void>;
  close(): Promise<void>;
}

/** Devices handed out by a metadata cache, whose lastSeenAt and connectivity may be old. */
const fromCache = new WeakSet<Device>();

/** Said by the cache of each device it hands out. */
export function markFromMetadataCache(device: Device): void {
  fromCache.add(device);
}

/**
 * Whether `device` came from a metadata cache: its metadata is current, its activity
 * (lastSeenAt, connectivity) is what it was when cached, so read that afresh.
 */
export const isFromMetadataCache = (device: Device) => fromCache.has(device);
