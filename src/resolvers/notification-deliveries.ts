import type { DeliveryStatus, NotificationDelivery } from '../domain/notifications.js';
import { DEFAULT_ALERTS, MAX_ALERTS } from '../domain/query-limits.js';
import type { GraphQLContext } from '../schema/context.js';
import { pageSize } from './errors.js';
import { timeCursors, timeOrderedPage, type TimePosition } from './time-ordered-page.js';

const cursors = timeCursors('delivery');
const cursorOf = (delivery: NotificationDelivery) =>
  cursors.encode({ at: delivery.createdAt, id: delivery.id });

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
      ...(args.after ? { after: toDeliveryPosition(cursors.decode(args.after)) } : {}),
    },
  );
  return timeOrderedPage(deliveries, first, args.after, cursorOf);
}

const toDeliveryPosition = ({ at, id }: TimePosition) => ({ createdAt: at, id });
