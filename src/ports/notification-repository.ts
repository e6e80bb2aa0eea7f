import type {
  ChannelTarget,
  DeliveryAttempt,
  DeliveryStatus,
  NotificationChannel,
  NotificationDelivery,
  NotificationEvent,
  NotificationMessage,
} from '../domain/notifications.js';

export type NewNotificationChannel =
  | { organizationId: string; name: string; kind: 'WEBHOOK'; url: string; signingSecret: string }
  | { organizationId: string; name: string; kind: 'PAGERDUTY'; routingKey: string };

/** What may change of a channel; its kind never does. */
export interface NotificationChannelPatch {
  name?: string;
  enabled?: boolean;
  /** WEBHOOK only. */
  url?: string;
  /** WEBHOOK only: a new signing secret (the old one stops signing at once). */
  signingSecret?: string;
  /** PAGERDUTY only. */
  routingKey?: string;
}

export interface DeliveryFilter {
  channelId?: string;
  episodeId?: string;
  status?: DeliveryStatus;
  /** Only deliveries after this one in the order (newest first, then id). */
  after?: { createdAt: number; id: string };
  limit: number;
}

/** A delivery claimed for sending: leased to the claimer until `leaseMs` from the claim. */
export interface ClaimedDelivery {
  id: string;
  organizationId: string;
  channelId: string;
  episodeId: string;
  event: NotificationEvent;
  message: NotificationMessage;
  target: ChannelTarget;
  /**
   * Set when the channel's stored secret cannot be opened (sealed with a key this process does
   * not have): the target then holds no secret, and the attempt fails with this reason.
   */
  secretProblem?: string;
  /** A disabled channel's deliveries are given up, not sent. */
  channelEnabled: boolean;
  createdAt: number;
  /** Attempts made before this one. */
  attemptCount: number;
}

/** What became of a claimed delivery after one attempt. */
export type AttemptOutcome =
  { delivery: 'DELIVERED' } | { delivery: 'RETRY'; at: number } | { delivery: 'FAILED' };

/**
 * Notification channels, the rules' routes to them, and the outbox of deliveries (Prisma over
 * PGlite embedded, PostgreSQL in production). Deliveries are written by the alert repository in
 * the transaction that changes an episode (prisma-alert-repository.ts); this port sends and
 * reads them. Scoped by organization like every repository, except the dispatcher's calls
 * (claim, record), which serve every organization.
 */
export interface NotificationRepository {
  /** Also records the organization if this is the first thing stored for it. */
  createChannel(channel: NewNotificationChannel): Promise<NotificationChannel>;
  /** null if it is not in the organization. */
  updateChannel(
    organizationId: string,
    id: string,
    patch: NotificationChannelPatch,
  ): Promise<NotificationChannel | null>;
  /** Deletes it, its routes and its deliveries; false if it is not in the organization. */
  deleteChannel(organizationId: string, id: string): Promise<boolean>;
  /** Oldest first. */
  listChannels(organizationId: string): Promise<NotificationChannel[]>;
  /** Those among these ids that are in the organization. */
  findChannels(organizationId: string, ids: readonly string[]): Promise<NotificationChannel[]>;
  /** The channels each of these rules routes to (every rule asked is a key; none: []). */
  channelIdsOfRules(
    organizationId: string,
    ruleIds: readonly string[],
  ): Promise<Map<string, string[]>>;
  /**
   * At most `limit` deliveries due at `now`, in the order they were written, leased for
   * `leaseMs`: no other caller claims them until the lease ends (one whose claimer died is
   * claimed again then). A RESOLVED waits while its episode's FIRING to the same channel is
   * still pending, so PagerDuty never sees a resolve before its trigger.
   */
  claimDeliveries(now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  /** Records an attempt at a claimed delivery and what follows from it, and ends its lease. */
  recordAttempt(id: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void>;
  /** The organization's deliveries with their attempts, newest first. */
  listDeliveries(organizationId: string, filter: DeliveryFilter): Promise<NotificationDelivery[]>;
  /**
   * Deletes, with their attempts, the deliveries of every organization that finished (delivered
   * or given up) before `cutoff` (epoch ms); pending ones stay, however old. Returns how many.
   */
  deleteFinishedBefore(cutoff: number): Promise<number>;
  /**
   * Seals again, with the current key, every channel secret stored in clear (by a version before
   * secrets were sealed) or sealed with a previous key: how many channels changed, and how many
   * hold a secret no key of this process opens (left as they are).
   */
  resealChannelSecrets(): Promise<{ resealed: number; unreadable: number }>;
}
