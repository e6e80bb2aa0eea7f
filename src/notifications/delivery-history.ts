import type { Logger } from '../logger.js';
import { startRounds } from '../periodic-rounds.js';
import type { NotificationRepository } from '../ports/notification-repository.js';

/** How often finished deliveries past the history are deleted. */
const EVERY_MS = 3_600_000;

/**
 * Keeps the delivery history (`notificationDeliveries`, every attempt recorded) bounded: at start,
 * then hourly, deletes the deliveries that finished (delivered or given up) more than `keepMs`
 * ago, with their attempts (NOTIFICATION_HISTORY). Pending ones stay whatever their age: the
 * dispatcher still owes them a send. Several processes each running it delete the same rows,
 * which is harmless. Returns a stop function that waits for a round in progress.
 */
export function startDeliveryHistoryPruning(options: {
  notifications: Pick<NotificationRepository, 'deleteFinishedBefore'>;
  keepMs: number;
  logger: Logger;
  now?: () => number;
  everyMs?: number;
}): () => Promise<void> {
  const { notifications, keepMs, logger, now = Date.now } = options;
  return startRounds(
    async () => {
      const cutoff = now() - keepMs;
      const deleted = await notifications.deleteFinishedBefore(cutoff);
      if (deleted > 0) {
        logger.info(
          { deleted, cutoff: new Date(cutoff).toISOString() },
          'deleted notification deliveries past the history',
        );
      }
    },
    { everyMs: options.everyMs ?? EVERY_MS, logger, failed: 'notification history delete failed' },
  );
}
