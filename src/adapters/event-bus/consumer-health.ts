import type { ConsumerHealth } from '../../ports/event-bus.js';

export interface ConsumerHealthOptions {
  /** A batch failing for longer than this makes the consumer unhealthy (default 30 s). */
  unhealthyAfterMs?: number;
  now?: () => number;
}

/** From this attempt on, a failing batch is logged at error level (the first few are warnings). */
export const ERROR_LOG_AFTER_ATTEMPTS = 5;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A consumer's progress, as /ready reports it. Failing batches are retried without limit (an
 * outage must not lose points), so the retry loop alone would hide a pipeline that has stopped
 * moving; this turns "failing for longer than `unhealthyAfterMs`" and "crashed" into a reason.
 * Failures are tracked per key (a Kafka partition): one stuck partition is not hidden by others
 * that succeed.
 */
export function createConsumerHealth(options: ConsumerHealthOptions = {}) {
  const { unhealthyAfterMs = 30_000, now = Date.now } = options;
  const failing = new Map<string, { since: number; error: string }>();
  let crash: string | undefined;

  return {
    /** A batch of `key` failed (and will be retried). */
    failed(key: string, error: unknown) {
      const since = failing.get(key)?.since ?? now();
      failing.set(key, { since, error: messageOf(error) });
    },
    /** A batch of `key` succeeded: it is moving again, and the consumer runs. */
    succeeded(key: string) {
      failing.delete(key);
      crash = undefined;
    },
    /** `key` is no longer ours (partition revoked, consumer stopping): its failures go with it. */
    forget(key: string) {
      failing.delete(key);
    },
    crashed(reason: string) {
      crash = reason;
    },
    /** The consumer is running again (rejoined its group after a restart). */
    restarted() {
      crash = undefined;
    },
    health(): ConsumerHealth {
      if (crash !== undefined) return { ok: false, reason: `consumer crashed: ${crash}` };
      const at = now();
      for (const [key, { since, error }] of failing) {
        if (at - since > unhealthyAfterMs) {
          const seconds = Math.round((at - since) / 1_000);
          return {
            ok: false,
            reason: `batches of ${key} failing for ${seconds} s (retrying): ${error}`,
          };
        }
      }
      return { ok: true };
    },
  };
}

export type ConsumerHealthTracker = ReturnType<typeof createConsumerHealth>;
