import type { GroupsAggregateQuery } from '../../ports/telemetry-store.js';

/**
 * Each device of the groups with its group's key. Throws RangeError for FIRST or LAST, which have
 * no answer for a group (two devices' points at the same time: neither is first), and for a device
 * in two groups, which would count its points twice.
 */
export function groupOfDevice(query: GroupsAggregateQuery): Map<string, string> {
  for (const end of ['first', 'last'] as const) {
    if (query.aggregates.includes(end)) {
      throw new RangeError(`${end.toUpperCase()} is not asked of groups of devices`);
    }
  }
  const groupOf = new Map<string, string>();
  for (const { key, deviceIds } of query.groups) {
    for (const deviceId of deviceIds) {
      const known = groupOf.get(deviceId);
      if (known !== undefined && known !== key) {
        throw new RangeError(`device ${deviceId} is in two groups, ${known} and ${key}`);
      }
      groupOf.set(deviceId, key);
    }
  }
  return groupOf;
}

/** Per group key, its devices (groupOfDevice's map turned around). */
export function devicesByGroup(groupOf: ReadonlyMap<string, string>): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [deviceId, key] of groupOf) {
    const devices = groups.get(key);
    if (devices) devices.push(deviceId);
    else groups.set(key, [deviceId]);
  }
  return groups;
}
