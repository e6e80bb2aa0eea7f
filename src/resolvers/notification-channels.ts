import type { NotificationChannelKind } from '../domain/notifications.js';
import { webhookUrlProblem } from '../notifications/destination.js';
import { newSigningSecret } from '../notifications/webhook-request.js';
import type { NotificationChannelPatch } from '../ports/notification-repository.js';
import type { GraphQLContext } from '../schema/context.js';
import { requireText } from './device-input.js';
import { badUserInput, notFound } from './errors.js';

/** Enough for every team and service an organization pages; a runaway script stops here. */
const MAX_CHANNELS_PER_ORGANIZATION = 100;
/** A rule's channels: a few (a team's webhook, its on-call service). */
const MAX_CHANNELS_PER_RULE = 10;

/** PagerDuty integration (routing) keys: 32 letters and digits. */
const ROUTING_KEY = /^[A-Za-z0-9]{32}$/;

export interface NotificationChannelInput {
  name?: string | null;
  url?: string | null;
  routingKey?: string | null;
  enabled?: boolean | null;
}

function checkUrl(context: GraphQLContext, url: string) {
  const problem = webhookUrlProblem(url, {
    allowedNetworks: context.settings.notificationAllowedNetworks,
  });
  if (problem) throw badUserInput(problem, 'url');
  return url;
}

function checkRoutingKey(key: string) {
  if (!ROUTING_KEY.test(key)) {
    throw badUserInput(
      'routingKey must be a PagerDuty Events API v2 integration key: 32 letters and digits',
      'routingKey',
    );
  }
  return key;
}

function refuseOtherKind(kind: NotificationChannelKind, input: NotificationChannelInput) {
  const other = kind === 'WEBHOOK' ? 'routingKey' : 'url';
  if (input[other] != null) throw badUserInput(`a ${kind} channel has no ${other}`, other);
}

export async function listNotificationChannels(context: GraphQLContext) {
  return context.services.notifications.listChannels(context.viewer.organizationId);
}

/**
 * Creates a channel; a webhook's signing secret is returned this once (it signs every message,
 * and the receiver verifies with it), a PagerDuty routing key is never shown again.
 */
export async function createNotificationChannel(
  context: GraphQLContext,
  input: NotificationChannelInput & { name: string; kind: NotificationChannelKind },
) {
  const { organizationId } = context.viewer;
  const existing = await context.services.notifications.listChannels(organizationId);
  if (existing.length >= MAX_CHANNELS_PER_ORGANIZATION) {
    throw badUserInput(
      `an organization has at most ${MAX_CHANNELS_PER_ORGANIZATION} notification channels`,
    );
  }
  refuseOtherKind(input.kind, input);
  const name = requireText(input.name, 'name', 200);
  if (input.kind === 'WEBHOOK') {
    if (input.url == null) throw badUserInput('a WEBHOOK channel needs url', 'url');
    const signingSecret = newSigningSecret();
    const channel = await context.services.notifications.createChannel({
      organizationId,
      name,
      kind: 'WEBHOOK',
      url: checkUrl(context, input.url),
      signingSecret,
    });
    return { channel, signingSecret };
  }
  if (input.routingKey == null) {
    throw badUserInput('a PAGERDUTY channel needs routingKey', 'routingKey');
  }
  const channel = await context.services.notifications.createChannel({
    organizationId,
    name,
    kind: 'PAGERDUTY',
    routingKey: checkRoutingKey(input.routingKey),
  });
  return { channel, signingSecret: null };
}

async function requireChannel(context: GraphQLContext, id: string) {
  const [channel] = await context.services.notifications.findChannels(
    context.viewer.organizationId,
    [id],
  );
  if (!channel) throw notFound(`notification channel ${id}`);
  return channel;
}

export async function updateNotificationChannel(
  context: GraphQLContext,
  id: string,
  input: NotificationChannelInput,
) {
  const current = await requireChannel(context, id);
  refuseOtherKind(current.kind, input);
  const patch: NotificationChannelPatch = {};
  if (input.name != null) patch.name = requireText(input.name, 'name', 200);
  if (input.enabled != null) patch.enabled = input.enabled;
  if (input.url != null) patch.url = checkUrl(context, input.url);
  if (input.routingKey != null) patch.routingKey = checkRoutingKey(input.routingKey);
  const updated = await context.services.notifications.updateChannel(
    context.viewer.organizationId,
    id,
    patch,
  );
  if (!updated) throw notFound(`notification channel ${id}`);
  return updated;
}

/** A webhook's new signing secret, returned this once; the old one stops signing at once. */
export async function rotateNotificationChannelSecret(context: GraphQLContext, id: string) {
  const current = await requireChannel(context, id);
  if (current.kind !== 'WEBHOOK') {
    throw badUserInput(`a ${current.kind} channel has no signing secret`, 'id');
  }
  const signingSecret = newSigningSecret();
  const channel = await context.services.notifications.updateChannel(
    context.viewer.organizationId,
    id,
    { signingSecret },
  );
  if (!channel) throw notFound(`notification channel ${id}`);
  return { channel, signingSecret };
}

export async function deleteNotificationChannel(context: GraphQLContext, id: string) {
  const deleted = await context.services.notifications.deleteChannel(
    context.viewer.organizationId,
    id,
  );
  if (!deleted) throw notFound(`notification channel ${id}`);
  return id;
}

/**
 * A rule's channels as given (channelIds), checked: BAD_USER_INPUT naming the first that is not
 * one of the organization's channels.
 */
export async function checkChannelIds(
  context: GraphQLContext,
  ids: readonly (string | number)[],
): Promise<string[]> {
  const wanted = [...new Set(ids.map((id) => String(id).toLowerCase()))];
  if (wanted.length > MAX_CHANNELS_PER_RULE) {
    throw badUserInput(`a rule has at most ${MAX_CHANNELS_PER_RULE} channels`, 'channelIds');
  }
  const found = await context.services.notifications.findChannels(
    context.viewer.organizationId,
    wanted,
  );
  const known = new Set(found.map((channel) => channel.id));
  const unknown = wanted.find((id) => !known.has(id));
  if (unknown !== undefined) {
    throw badUserInput(`notification channel ${unknown} not found`, 'channelIds');
  }
  return wanted;
}

/** The channels a rule routes to, in id order. */
export async function ruleChannels(context: GraphQLContext, ruleId: string) {
  const ids = await context.loaders.ruleChannelIds.load(ruleId);
  const channels = await context.loaders.notificationChannel.loadMany(ids);
  return channels.filter(
    (channel): channel is Exclude<typeof channel, Error | null> =>
      channel !== null && !(channel instanceof Error),
  );
}
