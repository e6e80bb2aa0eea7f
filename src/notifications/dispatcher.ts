import type { NotificationSettings } from '../config/notifications.js';
import { retryDelayMs, type DeliveryAttempt } from '../domain/notifications.js';
import type { Logger } from '../logger.js';
import { notificationDeliveries } from '../metrics/pipeline-metrics.js';
import type {
  AttemptOutcome,
  ClaimedDelivery,
  NotificationRepository,
} from '../ports/notification-repository.js';
import type { PostOutcome } from './http-post.js';
import { pagerDutyEvent } from './pagerduty-event.js';
import { webhookRequest } from './webhook-request.js';

const toAttempt = (at: number, outcome: PostOutcome): DeliveryAttempt => ({
  at,
  statusCode: outcome.status,
  latencyMs: outcome.latencyMs,
  error: outcome.error,
});

/** At most this many deliveries are sent at once by one process. */
const MAX_IN_FLIGHT = 32;

const OUTCOME_LABEL = { DELIVERED: 'delivered', RETRY: 'retried', FAILED: 'failed' } as const;

type Post = (url: string, body: string, headers: Record<string, string>) => Promise<PostOutcome>;

/**
 * Sends the outbox (NotificationRepository.claimDeliveries): each due delivery is claimed with a
 * lease, sent once, and its attempt recorded with what follows: delivered, retried later
 * (exponential backoff with jitter, domain/notifications.ts), or given up once
 * NOTIFICATION_RETRY_FOR has passed since the change. Any number of processes may run one: the
 * claim's SKIP LOCKED gives each delivery to one of them. A process killed mid-send leaves the
 * delivery leased: once the lease ends it is claimed and sent again, with the same webhook-id
 * (at least once; receivers de-duplicate by the id).
 *
 * Sends run side by side (at most MAX_IN_FLIGHT), so a receiver that hangs until the timeout
 * holds one slot, not the others' messages.
 */
export function createNotificationDispatcher(options: {
  notifications: Pick<NotificationRepository, 'claimDeliveries' | 'recordAttempt'>;
  settings: NotificationSettings;
  post: Post;
  logger: Logger;
}) {
  const { notifications, settings, post, logger } = options;
  // Long enough for an attempt (bounded by the timeout) and its record; a dead sender's
  // deliveries wait that long before another claims them.
  const leaseMs = settings.timeoutMs * 2 + 5_000;
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let claiming: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  async function attempt(
    delivery: ClaimedDelivery,
  ): Promise<{ attempt: DeliveryAttempt; permanent: boolean }> {
    const at = Date.now();
    if (!delivery.channelEnabled) {
      return {
        attempt: { at, statusCode: null, latencyMs: 0, error: 'channel disabled' },
        permanent: true,
      };
    }
    if (delivery.secretProblem !== undefined) {
      // Not permanent: the operator can give this process the key, and the retries pick it up.
      return {
        attempt: { at, statusCode: null, latencyMs: 0, error: delivery.secretProblem },
        permanent: false,
      };
    }
    const { target } = delivery;
    if (target.kind === 'WEBHOOK') {
      let request: ReturnType<typeof webhookRequest>;
      try {
        request = webhookRequest(delivery, target.signingSecret, new Date(at));
      } catch (error) {
        // A secret standardwebhooks cannot use (not `whsec_` and base64): this attempt fails on
        // record, not the whole claim (which would come back after its lease, unrecorded, for
        // ever). Retried like an unreadable one: a new secret for the channel mends it.
        const why = error instanceof Error ? error.message : String(error);
        return {
          attempt: { at, statusCode: null, latencyMs: 0, error: `signing secret unusable: ${why}` },
          permanent: false,
        };
      }
      const outcome = await post(target.url, request.body, request.headers);
      return { attempt: toAttempt(at, outcome), permanent: false };
    }
    const event = pagerDutyEvent(delivery.message, target.routingKey);
    const outcome = await post(settings.pagerDutyEventsUrl, JSON.stringify(event), {});
    // 400: PagerDuty refuses the event itself (a bad routing key); sending it again cannot help.
    return { attempt: toAttempt(at, outcome), permanent: outcome.status === 400 };
  }

  function outcomeOf(
    delivery: ClaimedDelivery,
    result: { attempt: DeliveryAttempt; permanent: boolean },
  ): AttemptOutcome {
    if (result.attempt.error === null) return { delivery: 'DELIVERED' };
    if (result.permanent) return { delivery: 'FAILED' };
    const next =
      Date.now() +
      retryDelayMs(delivery.attemptCount + 1, {
        baseMs: settings.retryInitialMs,
        capMs: settings.retryMaxIntervalMs,
      });
    return next > delivery.createdAt + settings.retryForMs
      ? { delivery: 'FAILED' }
      : { delivery: 'RETRY', at: next };
  }

  async function send(delivery: ClaimedDelivery) {
    const result = await attempt(delivery);
    const outcome = outcomeOf(delivery, result);
    notificationDeliveries.inc({
      channel_type: delivery.target.kind.toLowerCase(),
      outcome: OUTCOME_LABEL[outcome.delivery],
    });
    if (outcome.delivery === 'FAILED') {
      // The channel and delivery ids, never the URL or the key: they may carry credentials.
      logger.warn(
        {
          deliveryId: delivery.id,
          channelId: delivery.channelId,
          attempts: delivery.attemptCount + 1,
          error: result.attempt.error,
        },
        'notification given up',
      );
    }
    await notifications.recordAttempt(delivery.id, result.attempt, outcome);
  }

  async function claimAndSend() {
    const free = MAX_IN_FLIGHT - inFlight.size;
    if (free <= 0) return;
    const due = await notifications.claimDeliveries(Date.now(), free, leaseMs);
    for (const delivery of due) {
      const sending = send(delivery)
        .catch((error: unknown) =>
          logger.warn({ err: error, deliveryId: delivery.id }, 'notification attempt not recorded'),
        )
        .finally(() => {
          inFlight.delete(sending);
          // A slot is free: anything waiting for one is due.
          wake();
        });
      inFlight.add(sending);
    }
  }

  /** Claims now (or right after the claim in progress), instead of at the next poll. */
  function wake() {
    if (stopped) return;
    if (claiming) {
      again = true;
      return;
    }
    claiming = claimAndSend()
      .catch((error: unknown) => logger.warn({ err: error }, 'claiming notifications failed'))
      .finally(() => {
        claiming = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  }

  return {
    start() {
      stopped = false;
      timer = setInterval(wake, settings.pollMs);
      timer.unref();
      wake();
    },
    wake,
    /** Stops claiming and waits for the sends in flight (each bounded by the timeout). */
    async stop() {
      stopped = true;
      clearInterval(timer);
      await claiming;
      await Promise.all(inFlight);
    },
  };
}
