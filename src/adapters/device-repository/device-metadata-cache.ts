import { LRUCache } from 'lru-cache';
import {
  markFromMetadataCache,
  type DeviceMetadataVersions,
} from '../../ports/device-metadata-versions.js';
import type {
  Device,
  DeviceFilter,
  DevicePage,
  DeviceRepository,
  FleetMember,
} from '../../ports/device-repository.js';

export interface DeviceMetadataCacheOptions {
  versions: DeviceMetadataVersions;
  /**
   * How much it holds across organizations, in devices: a page or a fleet counts one per device
   * in it, a device or a count one. 0 turns the cache off.
   */
  maxEntries: number;
  /** No answer is served older than this, whatever the version says (a bump Redis never took). */
  ttlMs: number;
}

/** What the cache keeps of a device: a frozen copy (requests share it), marked as cached. */
function cachedCopy(device: Device): Device {
  const copy = Object.freeze({ ...device, labels: Object.freeze({ ...device.labels }) });
  markFromMetadataCache(copy);
  return copy;
}

/** What the cache holds for one answer: the answer, and its size in devices. */
interface Entry {
  value: unknown;
  size: number;
}

/** A connectivity filter selects by activity, which no version covers. */
const byActivity = (filter: DeviceFilter | undefined) => Boolean(filter?.connectivity);

/**
 * Device metadata reads answered from memory while the organization's metadata version
 * (DeviceMetadataVersions) is unchanged: a page of devices, devices by id, counts and fleets,
 * each under the version read before it was fetched, so an answer read before a change commits
 * is never served after the change's bump. Exact across api replicas when the version is shared
 * (Redis); in one process, the in-process counter. Writes made through this repository bump the
 * version after they commit.
 *
 * Why not invalidation messages through the live hub: a replica that has not yet received one
 * would answer with the old metadata after the change was acknowledged; one version read per
 * request (a Redis GET) closes that window. What is served from here skips PGlite (in the api's
 * own thread) or a PostgreSQL round trip through Prisma, the bulk of a device page's cost
 * (bench/graphql-page.ts).
 */
export function withDeviceMetadataCache(
  inner: DeviceRepository,
  options: DeviceMetadataCacheOptions,
): DeviceRepository {
  if (options.maxEntries <= 0) return inner;
  const { versions } = options;
  const entries = new LRUCache<string, Entry>({
    maxSize: options.maxEntries,
    sizeCalculation: (entry) => entry.size,
    ttl: options.ttlMs,
  });

  const keyOf = (organizationId: string, version: string, question: string) =>
    `${organizationId}\u0000${version}\u0000${question}`;

  /**
   * The answer under the organization's current version, fetched and kept on a miss as `keep`
   * makes it (what is held, and its size in devices; by default as it is, size 1).
   */
  async function cached<T>(
    organizationId: string,
    question: string,
    fetch: () => Promise<T>,
    keep: (value: T) => Entry = (value) => ({ value, size: 1 }),
  ): Promise<T> {
    const version = await versions.current(organizationId);
    if (version === undefined) return fetch();
    const key = keyOf(organizationId, version, question);
    const hit = entries.get(key);
    if (hit) return hit.value as T;
    const value = await fetch();
    // An answer larger than the whole cache is not kept (lru-cache refuses it).
    entries.set(key, keep(value));
    return value;
  }

  const keepPage = (page: DevicePage): Entry => ({
    value: Object.freeze({ ...page, devices: Object.freeze(page.devices.map(cachedCopy)) }),
    size: Math.max(1, page.devices.length),
  });
  const keepFleet = (members: FleetMember[]): Entry => ({
    value: Object.freeze([...members]),
    size: Math.max(1, members.length),
  });

  async function afterChange<T>(organizationId: string, change: Promise<T>): Promise<T> {
    const result = await change;
    await versions.bump(organizationId);
    return result;
  }

  return {
    ...inner,

    listDevices(request) {
      if (byActivity(request.filter)) return inner.listDevices(request);
      const { organizationId, filter, first, after } = request;
      return cached(
        organizationId,
        `page\u0000${JSON.stringify([filter ?? {}, first, after ?? null])}`,
        () => inner.listDevices(request),
        keepPage,
      );
    },

    async findDevices(organizationId, ids, options) {
      if (options?.fresh) return inner.findDevices(organizationId, ids);
      const version = await versions.current(organizationId);
      if (version === undefined) return inner.findDevices(organizationId, ids);
      const deviceKey = (id: string) =>
        keyOf(organizationId, version, `device\u0000${id.toLowerCase()}`);
      const found = ids.map((id) => entries.get(deviceKey(id)));
      const missing = ids.filter((_id, i) => !found[i]);
      if (missing.length === 0) return found.map((entry) => entry!.value as Device | null);
      const fetched = await inner.findDevices(organizationId, missing);
      const byId = new Map(missing.map((id, i) => [id, fetched[i] ?? null]));
      for (const [id, device] of byId) {
        entries.set(deviceKey(id), { value: device && cachedCopy(device), size: 1 });
      }
      return ids.map((id, i) => (found[i] ? (found[i].value as Device | null) : byId.get(id)!));
    },

    countDevices(organizationId, filter) {
      if (byActivity(filter)) return inner.countDevices(organizationId, filter);
      return cached(organizationId, `count\u0000${JSON.stringify(filter)}`, () =>
        inner.countDevices(organizationId, filter),
      );
    },

    listFleet(organizationId, filter, limit) {
      if (byActivity(filter)) return inner.listFleet(organizationId, filter, limit);
      return cached(
        organizationId,
        `fleet\u0000${JSON.stringify([filter, limit])}`,
        () => inner.listFleet(organizationId, filter, limit),
        keepFleet,
      );
    },

    // Read by every telemetry read (its range is clamped to it): kept like the devices.
    getRetention: (organizationId) =>
      cached(organizationId, 'retention', () => inner.getRetention(organizationId)),
    setRetention: (organizationId, retention) =>
      afterChange(organizationId, inner.setRetention(organizationId, retention)),

    createDevice: (device, tokenHash) =>
      afterChange(device.organizationId, inner.createDevice(device, tokenHash)),
    updateDevice: (organizationId, id, patch) =>
      afterChange(organizationId, inner.updateDevice(organizationId, id, patch)),
  };
}
