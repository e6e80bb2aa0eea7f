import type {
  DeliveryAttempt,
  DeliveryStatus,
  NotificationChannel,
  NotificationChannelKind,
  NotificationDelivery,
  NotificationEvent,
} from '../domain/notifications.js';
import {
  createNotificationChannel,
  deleteNotificationChannel,
  listNotificationChannels,
  rotateNotificationChannelSecret,
  ruleChannels,
  updateNotificationChannel,
} from '../resolvers/notification-channels.js';
import { listNotificationDeliveries } from '../resolvers/notification-deliveries.js';
import { AlertEpisodeRef, AlertRuleRef } from './alert.js';
import { builder } from './builder.js';

// Channels hold where an organization's alerts go (a webhook URL may carry a credential), so
// reading them, like changing them, is for those who manage alerts: operators and admins.
const MANAGE = { permission: 'alerts:manage' } as const;

const NotificationChannelKindEnum = builder.enumType('NotificationChannelKind', {
  values: {
    WEBHOOK: {
      description:
        'An HTTPS (or HTTP) endpoint, sent Standard Webhooks messages signed with the channel secret.',
    },
    PAGERDUTY: {
      description:
        'A PagerDuty service, sent Events API v2 events: trigger when an episode begins, resolve when it ends (dedup_key: the episode id).',
    },
  } satisfies Record<NotificationChannelKind, { description: string }>,
});

const NotificationEventEnum = builder.enumType('NotificationEvent', {
  values: {
    FIRING: { description: 'The episode began.' },
    RESOLVED: { description: 'It ended.' },
  } satisfies Record<NotificationEvent, { description: string }>,
});

const DeliveryStatusEnum = builder.enumType('NotificationDeliveryStatus', {
  values: {
    PENDING: { description: 'Not delivered yet: the next attempt is at nextAttemptAt.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: {
      description:
        'Given up: NOTIFICATION_RETRY_FOR passed, the channel was disabled, or PagerDuty refused the event.',
    },
  } satisfies Record<DeliveryStatus, { description: string }>,
});

export const NotificationChannelRef = builder
  .objectRef<NotificationChannel>('NotificationChannel')
  .implement({
    description:
      "Where the episodes of the rules routed to it are sent. Its secret (a webhook's signing secret, a PagerDuty routing key) is never shown again after it is set.",
    fields: (t) => ({
      id: t.exposeID('id'),
      name: t.exposeString('name'),
      kind: t.field({ type: NotificationChannelKindEnum, resolve: (channel) => channel.kind }),
      url: t.string({
        nullable: true,
        description: 'WEBHOOK: where messages are posted.',
        resolve: (channel) => (channel.kind === 'WEBHOOK' ? channel.url : null),
      }),
      enabled: t.exposeBoolean('enabled', {
        description: 'A disabled channel is sent nothing; its pending messages are given up.',
      }),
      createdAt: t.field({ type: 'DateTime', resolve: (channel) => channel.createdAt }),
      updatedAt: t.field({ type: 'DateTime', resolve: (channel) => channel.updatedAt }),
    }),
  });

const CreatedNotificationChannelRef = builder
  .objectRef<{ channel: NotificationChannel; signingSecret: string | null }>(
    'NotificationChannelWithSecret',
  )
  .implement({
    fields: (t) => ({
      channel: t.field({ type: NotificationChannelRef, resolve: (created) => created.channel }),
      signingSecret: t.exposeString('signingSecret', {
        nullable: true,
        description:
          'WEBHOOK: the Standard Webhooks secret (whsec_…) receivers verify signatures with. Shown this once: keep it.',
      }),
    }),
  });

const NotificationAttemptRef = builder.objectRef<DeliveryAttempt>('NotificationAttempt').implement({
  description: 'One try at sending a message.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (attempt) => new Date(attempt.at) }),
    statusCode: t.exposeInt('statusCode', {
      nullable: true,
      description: "The receiver's HTTP status; null when none came.",
    }),
    latencyMs: t.exposeInt('latencyMs'),
    error: t.exposeString('error', {
      nullable: true,
      description:
        'Why it failed (refused address, timeout, a non-2xx status); null if it succeeded.',
    }),
  }),
});

const NotificationDeliveryRef = builder
  .objectRef<NotificationDelivery>('NotificationDelivery')
  .implement({
    description:
      'One message about an episode for one channel, written with the change it tells of, and sent until delivered or given up.',
    fields: (t) => ({
      id: t.exposeID('id', {
        description:
          "The webhook-id header: the same on every attempt, for receivers' de-duplication.",
      }),
      channel: t.field({
        type: NotificationChannelRef,
        nullable: true,
        resolve: (delivery, _args, context) =>
          context.loaders.notificationChannel.load(delivery.channelId),
      }),
      episode: t.field({
        type: AlertEpisodeRef,
        nullable: true,
        resolve: async (delivery, _args, context) => {
          const [episode] = await context.services.alerts.findEpisodes(
            context.viewer.organizationId,
            [delivery.episodeId],
          );
          return episode ?? null;
        },
      }),
      event: t.field({ type: NotificationEventEnum, resolve: (delivery) => delivery.event }),
      status: t.field({ type: DeliveryStatusEnum, resolve: (delivery) => delivery.status }),
      body: t.string({
        description:
          'The message as a webhook receives it (JSON); a PagerDuty channel is sent the event made from it.',
        resolve: (delivery) => JSON.stringify(delivery.message),
      }),
      createdAt: t.field({ type: 'DateTime', resolve: (delivery) => new Date(delivery.createdAt) }),
      nextAttemptAt: t.field({
        type: 'DateTime',
        nullable: true,
        resolve: (delivery) =>
          delivery.nextAttemptAt === null ? null : new Date(delivery.nextAttemptAt),
      }),
      finishedAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When it was delivered or given up.',
        resolve: (delivery) =>
          delivery.finishedAt === null ? null : new Date(delivery.finishedAt),
      }),
      attempts: t.field({
        type: [NotificationAttemptRef],
        description: 'Oldest first.',
        resolve: (delivery) => delivery.attempts,
      }),
    }),
  });

builder.objectField(AlertRuleRef, 'channels', (t) =>
  t.field({
    type: [NotificationChannelRef],
    authScopes: MANAGE,
    description: "The notification channels the rule's episodes are sent to.",
    resolve: (rule, _args, context) => ruleChannels(context, rule.id),
  }),
);

const CreateNotificationChannelInput = builder.inputType('CreateNotificationChannelInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: NotificationChannelKindEnum, required: true }),
    url: t.string({
      description:
        'WEBHOOK (required): http or https, at most 2048 characters, a public address unless NOTIFICATION_ALLOWED_NETWORKS allows it.',
    }),
    routingKey: t.string({
      description: 'PAGERDUTY (required): the Events API v2 integration key of the service.',
    }),
  }),
});

const UpdateNotificationChannelInput = builder.inputType('UpdateNotificationChannelInput', {
  fields: (t) => ({
    name: t.string(),
    url: t.string({ description: 'WEBHOOK only.' }),
    routingKey: t.string({ description: 'PAGERDUTY only.' }),
    enabled: t.boolean(),
  }),
});

builder.queryFields((t) => ({
  notificationChannels: t.field({
    type: [NotificationChannelRef],
    authScopes: MANAGE,
    description: "The organization's notification channels, oldest first.",
    resolve: (_root, _args, context) => listNotificationChannels(context),
  }),
  notificationDeliveries: t.connection({
    type: NotificationDeliveryRef,
    authScopes: MANAGE,
    description: 'Messages sent (or being sent) to the channels, newest first, with every attempt.',
    args: {
      channelId: t.arg.id(),
      episodeId: t.arg.id(),
      status: t.arg({ type: DeliveryStatusEnum }),
    },
    resolve: (_root, args, context) =>
      listNotificationDeliveries(context, {
        ...args,
        channelId: args.channelId == null ? null : String(args.channelId),
        episodeId: args.episodeId == null ? null : String(args.episodeId),
      }),
  }),
}));

builder.mutationFields((t) => ({
  createNotificationChannel: t.field({
    type: CreatedNotificationChannelRef,
    authScopes: MANAGE,
    description: "A webhook's signing secret is in the answer, this once.",
    args: { input: t.arg({ type: CreateNotificationChannelInput, required: true }) },
    resolve: (_root, args, context) => createNotificationChannel(context, args.input),
  }),
  updateNotificationChannel: t.field({
    type: NotificationChannelRef,
    authScopes: MANAGE,
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateNotificationChannelInput, required: true }),
    },
    resolve: (_root, args, context) =>
      updateNotificationChannel(context, String(args.id), args.input),
  }),
  rotateNotificationChannelSecret: t.field({
    type: CreatedNotificationChannelRef,
    authScopes: MANAGE,
    description:
      "WEBHOOK: a new signing secret, in the answer this once; messages are signed with it from now on (attempts already under way may still carry the old one's signature).",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => rotateNotificationChannelSecret(context, String(args.id)),
  }),
  deleteNotificationChannel: t.field({
    type: 'ID',
    authScopes: MANAGE,
    description: 'Deletes the channel, its routes from rules and its messages; returns its id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => deleteNotificationChannel(context, String(args.id)),
  }),
}));
