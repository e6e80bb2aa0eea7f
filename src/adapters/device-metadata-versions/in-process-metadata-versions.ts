import type { DeviceMetadataVersions } from '../../ports/device-metadata-versions.js';

/** Embedded: one process writes and reads, so a counter in memory is the whole truth. */
export function createInProcessMetadataVersions(): DeviceMetadataVersions {
  const versions = new Map<string, number>();
  return {
    current: (organizationId) => Promise.resolve(String(versions.get(organizationId) ?? 0)),
    bump(organizationId) {
      versions.set(organizationId, (versions.get(organizationId) ?? 0) + 1);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
