import type { Logger } from '../logger.js';

/**
 * Runs `run` every `intervalMs` after the previous run ended (never two at once), until stopped;
 * a failed run is logged and the next one comes all the same. The timer does not keep the
 * process alive. `stop` waits for a run in progress.
 */
export function runPeriodically(
  run: () => Promise<void>,
  options: { intervalMs: number; logger: Logger; what: string },
) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run()
        .catch((error: unknown) => options.logger.warn({ err: error }, `${options.what} failed`))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, options.intervalMs);
    timer.unref();
  }

  return {
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
