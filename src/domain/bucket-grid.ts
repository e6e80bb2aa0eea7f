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
