import type { NotificationSettings } from '../config/notifications.js';
import type { Logger } from '../logger.js';
import type { AlertRepository } from '../ports/alert-repository.js';
import type { NotificationRepository } from '../ports/notification-repository.js';
import { startDeliveryHistoryPruning } from './delivery-history.js';
import { createNotificationDispatcher } from './dispatcher.js';
import { createHttpPoster } from './http-post.js';

/**
 * What a process that evaluates alerts runs to send their notifications (the embedded app, each
 * pipeline replica): the dispatcher over an SSRF-checked HTTP client, and the alert repository
 * given to the evaluator, which wakes the dispatcher after each write that may have queued a
 * message, so one goes out at once rather than at the next poll; and the hourly deletes that
 * keep the delivery history to NOTIFICATION_HISTORY.
 */
export function createNotificationSender(options: {
  notifications: NotificationRepository;
  settings: NotificationSettings;
  logger: Logger;
}) {
  const { settings } = options;
  const poster = createHttpPoster({
    allowedNetworks: settings.allowedNetworks,
    timeoutMs: settings.timeoutMs,
  });
  let stopPruning: (() => Promise<void>) | undefined;
  const dispatcher = createNotificationDispatcher({
    notifications: options.notifications,
    settings,
    post: (url, body, headers) => poster.post(url, body, headers),
    logger: options.logger,
  });
  return {
    wakingAfterWrites(alerts: AlertRepository): AlertRepository {
      const { wake } = dispatcher;
      return {
        ...alerts,
        async saveStates(organizationId, states, episodes) {
          await alerts.saveStates(organizationId, states, episodes);
          if (episodes?.length) wake();
        },
        async touchSilences(organizationId, touches) {
          const resolved = await alerts.touchSilences(organizationId, touches);
          if (resolved.length > 0) wake();
          return resolved;
        },
        async claimSilences(now, limit) {
          const fired = await alerts.claimSilences(now, limit);
          if (fired.length > 0) wake();
          return fired;
        },
      };
    },
    start() {
      dispatcher.start();
      stopPruning = startDeliveryHistoryPruning({
        notifications: options.notifications,
        keepMs: settings.historyMs,
        logger: options.logger,
      });
    },
    async stop() {
      await Promise.all([dispatcher.stop(), stopPruning?.()]);
      poster.close();
    },
  };
}
