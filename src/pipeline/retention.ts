import type { Logger } from '../logger.js';
import type { TelemetryStore } from '../ports/telemetry-store.js';

/** How often expired data is deleted: retention is in hours at the finest. */
const EVERY_MS = 3_600_000;

type Retention = { text: string; ms: number };

/**
 * RAW_RETENTION's and ROLLUP_RETENTION's deletes: at start, then every hour, the store deletes
 * points older than the raw retention and rollup rows older than the rollup retention. Reads
 * already hide them (the API clamps every range), so a late or failed round only keeps disk in
 * use longer; several pipeline replicas each running it delete the same rows, which is harmless.
 * Returns a stop function that waits for a round in progress.
 */
export function startRetention(options: {
  store: Pick<TelemetryStore, 'deleteBefore' | 'deleteRollupsBefore'>;
  raw: Retention;
  rollups?: Retention;
  logger: Logger;
  now?: () => number;
  everyMs?: number;
}) {
  const { store, raw, rollups, logger, now = Date.now } = options;
  let running: Promise<void> | undefined;
  const deleteOlder = async (
    what: string,
    retention: Retention,
    remove: (at: number) => Promise<void>,
  ) => {
    const cutoff = now() - retention.ms;
    const started = Date.now();
    await remove(cutoff);
    logger.info(
      { cutoff: new Date(cutoff).toISOString(), ms: Date.now() - started },
      `deleted ${what} older than ${retention.text}`,
    );
  };
  const round = () => {
    if (running) return;
    running = (async () => {
      await deleteOlder('raw points', raw, (cutoff) => store.deleteBefore(cutoff));
      if (rollups) {
        await deleteOlder('rollups', rollups, (cutoff) => store.deleteRollupsBefore(cutoff));
      }
    })()
      .catch((error: unknown) => logger.error({ err: error }, 'retention delete failed'))
      .finally(() => {
        running = undefined;
      });
  };
  round();
  const timer = setInterval(round, options.everyMs ?? EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
