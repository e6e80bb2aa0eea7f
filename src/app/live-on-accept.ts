/**
 * Embedded mode puts points live the moment the bus has them (fsynced to its write-ahead log,
 * when ingest answers 202), not once the pipeline has stored them: a dashboard then sees a point
 * in about a millisecond instead of after the DuckDB write of its batch and of every batch queued
 * before it (p99 around 100 ms at 1,000 points/s). DuckDB refuses nothing ingest accepted (the
 * pipeline retries a failed write until it succeeds), so every point shown live is stored soon.
 *
 * A subscription that resumes `since` a time relies on "a point published before the listener
 * was attached is stored": `storedThrough` restores it by waiting until the pipeline has consumed
 * every point queued so far before the history is read (src/resolvers/live.ts). Production keeps
 * publishing after the store (InfluxDB may refuse a point, and the pipelines are other processes).
 */
import type { InProcessEventBus } from '../adapters/event-bus/in-process-event-bus.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../ports/event-bus.js';
import type { LiveHub } from '../ports/live-hub.js';
import { StoreTimeoutError } from '../ports/store-timeout.js';

export function liveOnAccept(
  bus: InProcessEventBus,
  live: LiveHub,
  options: { storeTimeoutMs: number; logger: Logger },
): { bus: EventBus; storedThrough: () => Promise<void> } {
  return {
    bus: {
      ...bus,
      async publish(points) {
        await bus.publish(points);
        // Accepted whatever the live hub does: a subscriber misses these at worst.
        live.publish(points).catch((err: unknown) => {
          options.logger.warn({ err, points: points.length }, 'live publish at accept failed');
        });
      },
    },
    async storedThrough() {
      try {
        await bus.whenConsumed(bus.queuedSoFar(), options.storeTimeoutMs);
      } catch {
        throw new StoreTimeoutError(options.storeTimeoutMs);
      }
    },
  };
}
