import type { Logger } from './logger.js';

/**
 * Runs `work` now, then every `everyMs`, never two at once (a round still running when the next
 * is due lets that one go), logging a failure as `failed` and going on: for housekeeping that the
 * next round catches up on (retention deletes, the notification history). The timer does not
 * keep the process alive. Returns a stop function that waits for a round in progress.
 */
export function startRounds(
  work: () => Promise<void>,
  options: { everyMs: number; logger: Logger; failed: string },
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const round = () => {
    if (running) return;
    running = work()
      .catch((error: unknown) => options.logger.error({ err: error }, options.failed))
      .finally(() => {
        running = undefined;
      });
  };
  round();
  const timer = setInterval(round, options.everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
