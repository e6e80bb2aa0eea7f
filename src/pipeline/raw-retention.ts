import type { Logger } from '../logger.js';
import type { TelemetryStore } from '../ports/telemetry-store.js';

/** How often expired points are deleted: retention is in hours at the finest. */
const EVERY_MS = 3_600_000;

/**
 * RAW_RETENTION's deletes: at start, then every hour, the store deletes points older than the
 * retention. Reads already hide them (the API clamps every range), so a late or failed round
 * only keeps disk in use longer; several pipeline replicas each running it delete the same rows,
 * which is harmless. Returns a stop function that waits for a round in progress.
 */
export function startRawRetention(options: {
  store: Pick<TelemetryStore, 'deleteBefore'>;
  retention: { text: string; ms: number };
  logger: Logger;
  now?: () => number;
  everyMs?: number;
}) {
  const { store, retention, logger, now = Date.now } = options;
  let running: Promise<void> | undefined;
  const round = () => {
    if (running) return;
    const cutoff = now() - retention.ms;
    const started = Date.now();
    running = store
      .deleteBefore(cutoff)
      .then(
        () =>
          logger.info(
            { cutoff: new Date(cutoff).toISOString(), ms: Date.now() - started },
            `deleted raw points older than ${retention.text}`,
          ),
        (error: unknown) => logger.error({ err: error }, 'raw retention delete failed'),
      )
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
