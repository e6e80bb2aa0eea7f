import type { AlertRuleSnapshot } from './alerts.js';
import type { MetricValue } from './telemetry.js';

/**
 * Notification channels: where an organization's alert episodes are sent when they begin and
 * end. A webhook receives Standard Webhooks messages signed with the channel's secret; PagerDuty
 * receives Events API v2 events (trigger, then resolve, de-duplicated by the episode id).
 */
export const NOTIFICATION_CHANNEL_KINDS = ['WEBHOOK', 'PAGERDUTY'] as const;
export type NotificationChannelKind = (typeof NOTIFICATION_CHANNEL_KINDS)[number];

interface ChannelBase {
  id: string;
  organizationId: string;
  name: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookChannel extends ChannelBase {
  kind: 'WEBHOOK';
  url: string;
}

export interface PagerDutyChannel extends ChannelBase {
  kind: 'PAGERDUTY';
}

/** A channel as it is shown: its secret (signing secret, routing key) is never read back. */
export type NotificationChannel = WebhookChannel | PagerDutyChannel;

/** What a dispatcher needs to send to a channel, secret included. */
export type ChannelTarget =
  | { kind: 'WEBHOOK'; url: string; signingSecret: string }
  | { kind: 'PAGERDUTY'; routingKey: string };

/** The two moments of an episode that are sent. */
export const NOTIFICATION_EVENTS = ['FIRING', 'RESOLVED'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

/**
 * The message about one episode change, built in the transaction that made the change and sent
 * as it is on every attempt (a webhook's body; PagerDuty's event is made from it). Field names
 * are the public contract of the webhook (README "Notifications").
 */
export interface NotificationMessage {
  /** `alert.firing` or `alert.resolved`. */
  type: 'alert.firing' | 'alert.resolved';
  /** When the change happened (ISO 8601): the episode's start, or its end. */
  timestamp: string;
  data: {
    organizationId: string;
    episodeId: string;
    status: 'FIRING' | 'OK';
    rule: AlertRuleSnapshot & { id: string };
    device: { id: string; name: string; type: string; labels: Record<string, string> };
    startedAt: string;
    endedAt: string | null;
    startValue: MetricValue;
    peakValue: MetricValue;
    endValue: MetricValue | null;
  };
}

/** One try at sending a delivery. */
export interface DeliveryAttempt {
  at: number;
  /** The HTTP status that came back; null when none did. */
  statusCode: number | null;
  latencyMs: number;
  /** Why it failed; null when it was delivered. */
  error: string | null;
}

/** One message for one channel (the outbox row), with its attempts. */
export interface NotificationDelivery {
  /** The webhook-id: the same on every attempt, so receivers de-duplicate. */
  id: string;
  organizationId: string;
  channelId: string;
  episodeId: string;
  event: NotificationEvent;
  message: NotificationMessage;
  status: DeliveryStatus;
  createdAt: number;
  /** PENDING: when the next attempt is due. */
  nextAttemptAt: number | null;
  /** When it was delivered, or given up. */
  finishedAt: number | null;
  attempts: DeliveryAttempt[];
}

/**
 * When to try a delivery again after `failures` failed attempts: exponential backoff from
 * `baseMs`, doubling up to `capMs`, with "equal jitter" (half the delay fixed, half random) so
 * the receivers of an outage are not retried in lockstep, yet no retry comes at once.
 */
export function retryDelayMs(
  failures: number,
  options: { baseMs: number; capMs: number },
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const delay = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  return Math.round(delay / 2 + random() * (delay / 2));
}
