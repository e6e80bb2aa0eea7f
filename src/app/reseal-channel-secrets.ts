import type { Logger } from '../logger.js';
import type { NotificationRepository } from '../ports/notification-repository.js';

/**
 * At start, seals with the current key every channel secret an earlier version stored in clear or
 * a previous key sealed (NotificationRepository.resealChannelSecrets), so a rotated-out key can be
 * dropped once every process has started with the new one. Secrets no key of ours opens are left
 * as they are and reported: their deliveries fail with the reason until the key is given back.
 */
export async function resealChannelSecrets(
  notifications: Pick<NotificationRepository, 'resealChannelSecrets'>,
  logger: Logger,
) {
  const { resealed, unreadable } = await notifications.resealChannelSecrets();
  if (resealed > 0)
    logger.info({ channels: resealed }, 'notification channel secrets sealed again');
  if (unreadable > 0) {
    logger.error(
      { channels: unreadable },
      'notification channel secrets sealed with a key this process does not have: set NOTIFICATION_SECRETS_PREVIOUS_KEYS',
    );
  }
}
