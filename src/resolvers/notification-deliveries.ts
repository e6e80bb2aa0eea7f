import type { DeliveryStatus, NotificationDelivery } from '../domain/notifications.js';
import { DEFAULT_ALERTS, MAX_ALERTS } from '../domain/query-limits.js';
import type { GraphQLContext } from '../schema/context.js';
import { badUserInput, pageSize } from './errors.js';

const encodeCursor = (delivery: NotificationDelivery) =>
  Buffer.from(`delivery:${delivery.createdAt}:${delivery.id}`).toString('base64url');

function decodeCursor(cursor: string) {
  const match = /^delivery:(\d+):([0-9a-f-]{36})$/.exec(
    Buffer.from(cursor, 'base64url').toString(),
  );
  if (!match) throw badUserInput('after is not a valid cursor', 'after');
  return { createdAt: Number(match[1]), id: match[2]! };
}

/** The organization's notification deliveries with their attempts, newest first. */
export async function listNotificationDeliveries(
  context: GraphQLContext,
  args: {
    channelId?: string | null;
    episodeId?: string | null;
    status?: DeliveryStatus | null;
    first?: number | null;
    after?: string | null;
  },
) {
  const first = pageSize(args.first, DEFAULT_ALERTS, MAX_ALERTS);
  const deliveries = await context.services.notifications.listDeliveries(
    context.viewer.organizationId,
    {
      limit: first + 1,
      ...(args.channelId ? { channelId: args.channelId } : {}),
      ...(args.episodeId ? { episodeId: args.episodeId } : {}),
      ...(args.status ? { status: args.status } : {}),
      ...(args.after ? { after: decodeCursor(args.after) } : {}),
    },
  );
  const edges = deliveries
    .slice(0, first)
    .map((delivery) => ({ cursor: encodeCursor(delivery), node: delivery }));
  return {
    edges,
    pageInfo: {
      hasNextPage: deliveries.length > first,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
