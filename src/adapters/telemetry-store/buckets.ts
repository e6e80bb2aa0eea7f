import type { GroupsAggregateQuery } from '../../ports/telemetry-store.js';

/**
 * Where buckets start, as an offset in [0, every) from the epoch: buckets start at origin + k·every
 * for every integer k, so at offset + k·every too, and a store needs only the offset (InfluxQL's
 * GROUP BY time(every, offset) takes nothing else). Throws RangeError for a width or an origin that
 * is not a whole number of ms, which no store can bucket by.
 */
export function bucketOffset(every: number, origin = 0): number {
  if (!Number.isSafeInteger(every) || every <= 0) {
    throw new RangeError(`bucket width must be a positive integer of ms, got ${every}`);
  }
  if (!Number.isSafeInteger(origin)) {
    throw new RangeError(`bucket origin must be an integer of ms, got ${origin}`);
  }
  return ((origin % every) + every) % every;
}

/** The start of the bucket holding `ts` (before it when ts - offset is negative, not after). */
export const bucketStart = (ts: number, every: number, offset: number) =>
  ts - ((((ts - offset) % every) + every) % every);

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
