import { MAX_FUTURE_MS, type TelemetryPoint } from '../domain/telemetry.js';
import type { GraphQLContext } from '../schema/context.js';
import { badUserInput } from './errors.js';
import { oldestKept } from './telemetry-arguments.js';
import { retentionIn } from './retention.js';

/** The most stored points a resumed subscription replays; more is a history to query. */
export const MAX_RESUMED_POINTS = 10_000;
/** Devices read at once (one store read each). */
const READS_AT_ONCE = 8;

const pointKey = (point: TelemetryPoint) => `${point.deviceId}\u0000${point.ts}`;

/**
 * The stored points of these devices with a time after `since`, oldest first (ties by device id),
 * only `metrics` when given. More than MAX_RESUMED_POINTS is BAD_USER_INPUT naming `since`.
 */
export async function readSince(
  context: GraphQLContext,
  deviceIds: readonly string[],
  since: number,
  metrics: readonly string[] | undefined,
): Promise<TelemetryPoint[]> {
  const from = Math.max(Math.floor(since) + 1, Math.ceil(oldestKept(await retentionIn(context))));
  // Everything ingest admits, a device clock running ahead included.
  const to = Date.now() + MAX_FUTURE_MS + 1;
  const points: TelemetryPoint[] = [];
  let next = 0;
  const tooMany = () => points.length > MAX_RESUMED_POINTS;
  async function readNext() {
    while (next < deviceIds.length && !tooMany()) {
      const read = await context.services.telemetry.raw({
        orgId: context.viewer.organizationId,
        deviceId: deviceIds[next++]!,
        metrics: metrics ? [...metrics] : [],
        from,
        to,
        limit: MAX_RESUMED_POINTS + 1,
      });
      points.push(...read);
    }
  }
  await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, deviceIds.length) }, readNext));
  if (tooMany()) {
    throw badUserInput(
      `more than ${MAX_RESUMED_POINTS} points were stored since ${new Date(since).toISOString()}: read them with rawTelemetry, then subscribe since the newest`,
      'since',
    );
  }
  return points.sort((a, b) => a.ts - b.ts || (a.deviceId < b.deviceId ? -1 : 1));
}

/** How long after the handover a live point may still be one the history already held. */
const DUPLICATE_WINDOW_MS = 60_000;

/**
 * Joins a resumed subscription's history to its live stream without a gap or a duplicate. The
 * live listener is attached before the history is read, and every point that went live before
 * then is stored before the history is read (ApiServices.storedThrough waits for the pipeline to
 * have consumed everything the bus held): such a point is in the history, any later one
 * arrives live. One stored while the history was read may be in both; the live copy is dropped
 * (a point is its device and time, the store's identity).
 */
export function createHandover(history: readonly TelemetryPoint[]) {
  const replayed = new Set(history.map(pointKey));
  const openedAt = Date.now();
  return {
    /** Whether a live point is one the history already delivered. */
    isDuplicate(point: TelemetryPoint): boolean {
      if (replayed.size === 0) return false;
      if (Date.now() - openedAt > DUPLICATE_WINDOW_MS) {
        replayed.clear();
        return false;
      }
      return replayed.has(pointKey(point));
    },
  };
}
