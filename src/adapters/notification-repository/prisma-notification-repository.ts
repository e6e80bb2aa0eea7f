/**
 * NotificationRepository over the Prisma client of the metadata database (one PGlite instance or
 * one pg pool per process; whoever opened the client closes it). The outbox rows it claims are
 * written by the alert repository (../alert-repository/notification-outbox.ts). Channel secrets
 * (signing secret, routing key) are sealed on the way in and opened only for a claimed delivery
 * (auth/sealed-secrets.ts).
 */
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type {
  ChannelTarget,
  DeliveryAttempt,
  NotificationChannel,
  NotificationDelivery,
  NotificationEvent,
  NotificationMessage,
} from '../../domain/notifications.js';
import type {
  ClaimedDelivery,
  NotificationRepository,
} from '../../ports/notification-repository.js';
import { SecretUnreadableError, type SecretSealer } from '../../auth/sealed-secrets.js';
import { epochMs, isUuid, iso } from '../prisma/columns.js';

type ChannelRow = Awaited<ReturnType<PrismaClient['notificationChannel']['findFirstOrThrow']>>;

/** The channel as shown: no secret leaves the repository this way. */
function toChannel(row: ChannelRow): NotificationChannel {
  const base = {
    id: row.id.toLowerCase(),
    organizationId: row.organizationId,
    name: row.name,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  return row.kind === 'WEBHOOK'
    ? { ...base, kind: 'WEBHOOK', url: row.url ?? '' }
    : { ...base, kind: 'PAGERDUTY' };
}

interface ClaimedRow {
  id: string;
  organizationId: string;
  channelId: string;
  episodeId: string;
  event: NotificationEvent;
  payload: string;
  createdAt: number;
  attemptCount: number;
  kind: 'WEBHOOK' | 'PAGERDUTY';
  enabled: boolean;
  url: string | null;
  signingSecret: string | null;
  routingKey: string | null;
}

/** The delivery's target with its secret opened, or why it cannot be. */
async function targetOf(
  row: ClaimedRow,
  secrets: SecretSealer,
): Promise<{ target: ChannelTarget; secretProblem?: string }> {
  try {
    return {
      target:
        row.kind === 'WEBHOOK'
          ? {
              kind: 'WEBHOOK',
              url: row.url ?? '',
              signingSecret: await secrets.open(row.signingSecret ?? ''),
            }
          : { kind: 'PAGERDUTY', routingKey: await secrets.open(row.routingKey ?? '') },
    };
  } catch (error) {
    const target: ChannelTarget =
      row.kind === 'WEBHOOK'
        ? { kind: 'WEBHOOK', url: row.url ?? '', signingSecret: '' }
        : { kind: 'PAGERDUTY', routingKey: '' };
    return { target, secretProblem: `channel secret unreadable: ${(error as Error).message}` };
  }
}

interface DeliveryRow {
  id: string;
  organizationId: string;
  channelId: string;
  episodeId: string;
  event: NotificationEvent;
  payload: string;
  status: NotificationDelivery['status'];
  createdAt: number;
  nextAttemptAt: number;
  finishedAt: number | null;
}

interface AttemptRow {
  deliveryId: string;
  at: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export function createPrismaNotificationRepository(options: {
  prisma: PrismaClient;
  secrets: SecretSealer;
}): NotificationRepository {
  const { prisma, secrets } = options;
  const sealed = async (secret: string | undefined) =>
    secret === undefined ? undefined : secrets.seal(secret);

  return {
    async createChannel(channel) {
      const row = await prisma.notificationChannel.create({
        data: {
          name: channel.name,
          kind: channel.kind,
          url: channel.kind === 'WEBHOOK' ? channel.url : null,
          signingSecret:
            channel.kind === 'WEBHOOK' ? await secrets.seal(channel.signingSecret) : null,
          routingKey: channel.kind === 'PAGERDUTY' ? await secrets.seal(channel.routingKey) : null,
          // Organizations come from token claims: the channel may be the first row it has here.
          organization: {
            connectOrCreate: {
              where: { id: channel.organizationId },
              create: { id: channel.organizationId, name: channel.organizationId },
            },
          },
        },
      });
      return toChannel(row);
    },

    async updateChannel(organizationId, id, patch) {
      if (!isUuid(id)) return null;
      const signingSecret = await sealed(patch.signingSecret);
      const routingKey = await sealed(patch.routingKey);
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.notificationChannel.updateMany({
          where: { id, organizationId },
          data: {
            name: patch.name,
            enabled: patch.enabled,
            url: patch.url,
            signingSecret,
            routingKey,
          },
        });
        if (count === 0) return null;
        return toChannel(
          await tx.notificationChannel.findFirstOrThrow({ where: { id, organizationId } }),
        );
      });
    },

    async deleteChannel(organizationId, id) {
      if (!isUuid(id)) return false;
      // Routes and deliveries go with it (ON DELETE CASCADE).
      const { count } = await prisma.notificationChannel.deleteMany({
        where: { id, organizationId },
      });
      return count > 0;
    },

    async listChannels(organizationId) {
      const rows = await prisma.notificationChannel.findMany({
        where: { organizationId },
        // uuid v7 ids are time-ordered: id order is creation order.
        orderBy: { id: 'asc' },
      });
      return rows.map(toChannel);
    },

    async findChannels(organizationId, ids) {
      const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      if (wanted.length === 0) return [];
      const rows = await prisma.notificationChannel.findMany({
        where: { organizationId, id: { in: wanted } },
      });
      return rows.map(toChannel);
    },

    async channelIdsOfRules(organizationId, ruleIds) {
      const wanted = [...new Set(ruleIds.filter(isUuid).map((id) => id.toLowerCase()))];
      const routes = new Map<string, string[]>(wanted.map((id) => [id, []]));
      if (wanted.length === 0) return routes;
      const rows = await prisma.alertRuleChannel.findMany({
        where: { ruleId: { in: wanted }, channel: { organizationId } },
        orderBy: { channelId: 'asc' },
      });
      for (const row of rows) routes.get(row.ruleId.toLowerCase())?.push(row.channelId);
      return routes;
    },

    async claimDeliveries(now, limit, leaseMs) {
      const rows = await prisma.$queryRaw<ClaimedRow[]>`
        UPDATE notification_deliveries d
        SET lease_until = ${iso(now + leaseMs)}::timestamptz
        FROM (
          SELECT due.id FROM notification_deliveries due
          WHERE due.status = 'PENDING' AND due.next_attempt_at <= ${iso(now)}::timestamptz
            AND (due.lease_until IS NULL OR due.lease_until <= ${iso(now)}::timestamptz)
            AND NOT (due.event = 'RESOLVED' AND EXISTS (
              SELECT 1 FROM notification_deliveries firing
              WHERE firing.episode_id = due.episode_id AND firing.channel_id = due.channel_id
                AND firing.event = 'FIRING' AND firing.status = 'PENDING'))
          ORDER BY due.next_attempt_at, due.created_at, due.id
          LIMIT ${limit}
          FOR UPDATE OF due SKIP LOCKED
        ) AS claimed, notification_channels c
        WHERE d.id = claimed.id AND c.id = d.channel_id
        RETURNING d.id::text AS id, d.organization_id AS "organizationId",
          d.channel_id::text AS "channelId", d.episode_id::text AS "episodeId", d.event,
          d.payload::text AS payload, ${epochMs(Prisma.sql`d.created_at`)} AS "createdAt",
          d.attempt_count AS "attemptCount", c.kind::text AS kind, c.enabled, c.url,
          c.signing_secret AS "signingSecret", c.routing_key AS "routingKey"`;
      const claimed = await Promise.all(
        rows.map(async (row): Promise<ClaimedDelivery> => ({
          id: row.id,
          organizationId: row.organizationId,
          channelId: row.channelId,
          episodeId: row.episodeId,
          event: row.event,
          message: JSON.parse(row.payload) as NotificationMessage,
          ...(await targetOf(row, secrets)),
          channelEnabled: row.enabled,
          createdAt: Number(row.createdAt),
          attemptCount: Number(row.attemptCount),
        })),
      );
      return claimed.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    },

    async resealChannelSecrets() {
      const rows = await prisma.notificationChannel.findMany({
        select: { id: true, signingSecret: true, routingKey: true },
      });
      const stale = (stored: string | null) =>
        stored !== null && !secrets.sealedWithCurrentKey(stored);
      const again = async (stored: string | null) =>
        stored === null || !stale(stored) ? stored : secrets.seal(await secrets.open(stored));
      const result = { resealed: 0, unreadable: 0 };
      for (const row of rows) {
        if (!stale(row.signingSecret) && !stale(row.routingKey)) continue;
        let data;
        try {
          data = {
            signingSecret: await again(row.signingSecret),
            routingKey: await again(row.routingKey),
          };
        } catch (error) {
          if (!(error instanceof SecretUnreadableError)) throw error;
          result.unreadable += 1;
          continue;
        }
        // Only if it still holds what was read: a channel updated meanwhile keeps its new secret.
        const { count } = await prisma.notificationChannel.updateMany({
          where: { id: row.id, signingSecret: row.signingSecret, routingKey: row.routingKey },
          data,
        });
        result.resealed += count;
      }
      return result;
    },

    async recordAttempt(id, attempt, outcome) {
      if (!isUuid(id)) return;
      const status = outcome.delivery === 'RETRY' ? 'PENDING' : outcome.delivery;
      const next = outcome.delivery === 'RETRY' ? iso(outcome.at) : null;
      const finished = outcome.delivery === 'RETRY' ? null : iso(attempt.at);
      await prisma.$transaction([
        prisma.notificationAttempt.create({
          data: {
            deliveryId: id,
            attemptedAt: new Date(attempt.at),
            statusCode: attempt.statusCode,
            latencyMs: Math.round(attempt.latencyMs),
            error: attempt.error,
          },
        }),
        prisma.$executeRaw`
          UPDATE notification_deliveries
          SET attempt_count = attempt_count + 1, lease_until = NULL,
            status = ${status}::notification_delivery_status,
            next_attempt_at = COALESCE(${next}::timestamptz, next_attempt_at),
            finished_at = ${finished}::timestamptz
          WHERE id = ${id}::uuid AND status = 'PENDING'`,
      ]);
    },

    async listDeliveries(organizationId, filter) {
      const conditions = [Prisma.sql`d.organization_id = ${organizationId}`];
      for (const [column, id] of [
        ['channel_id', filter.channelId],
        ['episode_id', filter.episodeId],
      ] as const) {
        if (id === undefined) continue;
        if (!isUuid(id)) return [];
        conditions.push(Prisma.sql`d.${Prisma.raw(column)} = ${id}::uuid`);
      }
      if (filter.status !== undefined) {
        conditions.push(Prisma.sql`d.status = ${filter.status}::notification_delivery_status`);
      }
      if (filter.after) {
        if (!isUuid(filter.after.id)) return [];
        conditions.push(
          Prisma.sql`(d.created_at, d.id) < (${iso(filter.after.createdAt)}::timestamptz, ${filter.after.id}::uuid)`,
        );
      }
      const rows = await prisma.$queryRaw<DeliveryRow[]>`
        SELECT d.id::text AS id, d.organization_id AS "organizationId",
          d.channel_id::text AS "channelId", d.episode_id::text AS "episodeId", d.event,
          d.payload::text AS payload, d.status::text AS status,
          ${epochMs(Prisma.sql`d.created_at`)} AS "createdAt",
          ${epochMs(Prisma.sql`d.next_attempt_at`)} AS "nextAttemptAt",
          ${epochMs(Prisma.sql`d.finished_at`)} AS "finishedAt"
        FROM notification_deliveries d
        WHERE ${Prisma.join(conditions, ' AND ')}
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT ${filter.limit}`;
      if (rows.length === 0) return [];
      const attempts = await prisma.$queryRaw<AttemptRow[]>`
        SELECT a.delivery_id::text AS "deliveryId", ${epochMs(Prisma.sql`a.attempted_at`)} AS at,
          a.status_code AS "statusCode", a.latency_ms AS "latencyMs", a.error
        FROM notification_attempts a
        WHERE a.delivery_id = ANY(${rows.map((row) => row.id)}::uuid[])
        ORDER BY a.attempted_at, a.id`;
      const attemptsOf = new Map<string, DeliveryAttempt[]>(rows.map((row) => [row.id, []]));
      for (const attempt of attempts) {
        attemptsOf.get(attempt.deliveryId)?.push({
          at: Number(attempt.at),
          statusCode: attempt.statusCode,
          latencyMs: attempt.latencyMs,
          error: attempt.error,
        });
      }
      return rows.map((row) => ({
        id: row.id,
        organizationId: row.organizationId,
        channelId: row.channelId,
        episodeId: row.episodeId,
        event: row.event,
        message: JSON.parse(row.payload) as NotificationMessage,
        status: row.status,
        createdAt: Number(row.createdAt),
        nextAttemptAt: row.status === 'PENDING' ? Number(row.nextAttemptAt) : null,
        finishedAt: row.finishedAt === null ? null : Number(row.finishedAt),
        attempts: attemptsOf.get(row.id) ?? [],
      }));
    },

    async deleteFinishedBefore(cutoff) {
      // Their attempts go with them (ON DELETE CASCADE).
      const { count } = await prisma.notificationDelivery.deleteMany({
        where: { finishedAt: { lt: new Date(cutoff) } },
      });
      return count;
    },
  };
}
