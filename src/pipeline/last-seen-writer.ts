import type { TelemetryPoint } from '../domain/telemetry.js';
import type { Logger } from '../logger.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import { isolateRefusedInput } from './isolate-refused-input.js';

/**
 * Write-behind of devices' lastSeenAt (when the server received their newest point): points only
 * raise an in-memory high-water mark per device, and one statement per interval writes them all,
 * so metadata writes do not grow with the point rate. A failed flush keeps its marks for the next
 * one.
 */
export function createLastSeenWriter(options: {
  devices: DeviceRepository;
  flushIntervalMs: number;
  logger: Logger;
  now?: () => number;
}) {
  const { devices, flushIntervalMs, logger, now = Date.now } = options;
  let pending = new Map<string, number>();
  let flushing: Promise<void> | undefined;

  function note(points: readonly TelemetryPoint[]) {
    const limit = now();
    for (const point of points) {
      // When ingest received it; a point that did not come through ingest (or from an older
      // ingest) falls back to its own time, never later than now: a clock ahead of ours must
      // not push lastSeenAt into the future.
      const seen = Math.min(point.receivedAt ?? point.ts, limit);
      const current = pending.get(point.deviceId);
      if (current === undefined || seen > current) pending.set(point.deviceId, seen);
    }
  }

  async function flushOnce() {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      // A mark the database refuses for good (InputRefusedError) is dropped alone, so it cannot
      // keep every other device's lastSeenAt from being written on every flush after it.
      const refused = await isolateRefusedInput([...batch], (entries) =>
        devices.recordLastSeen(new Map(entries)),
      );
      for (const { item, error } of refused) {
        logger.error({ err: error, deviceId: item[0] }, 'lastSeenAt refused for good; dropped');
      }
    } catch (error) {
      logger.warn({ err: error, devices: batch.size }, 'lastSeenAt flush failed; will retry');
      for (const [deviceId, seen] of batch) {
        if (!((pending.get(deviceId) ?? -Infinity) >= seen)) pending.set(deviceId, seen);
      }
    }
  }

  function flush(): Promise<void> {
    flushing ??= flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), flushIntervalMs);
  timer.unref();

  return {
    note,
    flush,
    async stop() {
      clearInterval(timer);
      await flushing;
      await flush();
    },
  };
}
