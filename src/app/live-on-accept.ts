/**
 * Points go live the moment the bus has them (embedded: fsynced to its write-ahead log;
 * production: acknowledged by Kafka), as ingest answers 202 or PUBACK, not once the pipeline has
 * stored them: a dashboard then sees a point within milliseconds instead of after the store write
 * of its batch and of every batch queued before it (production at 1,000 points/s: p50 19 ms and
 * p99 167 ms through the pipeline, 0.8 ms and 28 ms from ingest; bench/live-freshness.ts).
 *
 * The price: a point the store refuses after ingest accepted it (InfluxDB refuses a value whose
 * type differs from the one its field already has in that shard; it is dead-lettered) was shown
 * live, and stays out of every history. Ingest validates everything else before it answers.
 *
 * A subscription that resumes `since` a time relies on "a point published before the listener
 * was attached is stored": `storedThrough` restores it by waiting until the pipeline has consumed
 * every point the bus held when it was called, before the history is read (src/resolvers/live.ts).
 */
import type { TelemetryPoint } from '../domain/telemetry.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../ports/event-bus.js';
import type { LiveHub } from '../ports/live-hub.js';
import { livePointsUnpublished } from '../metrics/live-metrics.js';
import { StoreTimeoutError } from '../ports/store-timeout.js';

/** While the live hub keeps failing (Redis away), one warning per this long, with the count. */
const WARN_EVERY_MS = 10_000;

/** `bus`, publishing on `live` what it accepted. */
export function publishingOnAccept(bus: EventBus, live: LiveHub, logger: Logger): EventBus {
  let warnedAt = -Infinity;
  let missedSinceWarning = 0;
  function publishFailed(err: unknown, points: number) {
    livePointsUnpublished.inc(points);
    missedSinceWarning += points;
    if (Date.now() - warnedAt < WARN_EVERY_MS) return;
    logger.warn(
      { err, points: missedSinceWarning },
      'live publish at accept failed: live subscribers missed these points (stored all the same)',
    );
    warnedAt = Date.now();
    missedSinceWarning = 0;
  }

  // Kafka acknowledges many requests' points at once (the write-ahead log's fsync likewise): they
  // go out as one live publish (one Redis round trip) once the promises those acknowledgements
  // settled have run, instead of one each. A microtask, not setImmediate: that would wait behind
  // every other I/O callback of this turn (p99 at 1,000 points/s embedded: 6.5-8.5 ms → 14-20 ms,
  // `npx tsx bench/live-freshness.ts --target embedded --rates 1000 --seconds 20`). Order is kept.
  let pending: TelemetryPoint[] | undefined;
  function publishSoon(points: readonly TelemetryPoint[]) {
    if (pending) {
      for (const point of points) pending.push(point);
      return;
    }
    pending = [...points];
    queueMicrotask(() => {
      const batch = pending!;
      pending = undefined;
      // Accepted whatever the live hub does: a subscriber misses these at worst.
      live.publish(batch).catch((err: unknown) => publishFailed(err, batch.length));
    });
  }
  return {
    ...bus,
    async publish(points) {
      await bus.publish(points);
      publishSoon(points);
    },
  };
}

/** ApiServices.storedThrough on `bus`: its consumedThrough, as a STORE_TIMEOUT when it gives up. */
export function storedThroughOn(bus: EventBus, storeTimeoutMs: number): () => Promise<void> {
  return async () => {
    try {
      await bus.consumedThrough(storeTimeoutMs);
    } catch (error) {
      throw new StoreTimeoutError(storeTimeoutMs, {
        cause: error,
        what: `the pipeline did not store the points accepted so far within ${storeTimeoutMs} ms`,
        advice: 'subscribe again in a moment',
      });
    }
  };
}
