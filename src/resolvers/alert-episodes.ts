import type { AlertEpisode } from '../domain/alerts.js';
import { DEFAULT_ALERTS, MAX_ALERTS } from '../domain/query-limits.js';
import type { GraphQLContext } from '../schema/context.js';
import { requireText } from './device-input.js';
import { notFound, pageSize } from './errors.js';
import { liveStream } from './live.js';
import { timeCursors, timeOrderedPage, type TimePosition } from './time-ordered-page.js';

const cursors = timeCursors('episode');
const cursorOf = (episode: AlertEpisode) =>
  cursors.encode({ at: episode.startedAt, id: episode.id });

/** The organization's episodes, newest first, as a connection page. */
export async function listAlertEpisodes(
  context: GraphQLContext,
  args: {
    ruleId?: string | null;
    deviceId?: string | null;
    firing?: boolean | null;
    first?: number | null;
    after?: string | null;
  },
) {
  const first = pageSize(args.first, DEFAULT_ALERTS, MAX_ALERTS);
  const episodes = await context.services.alerts.listEpisodes(context.viewer.organizationId, {
    limit: first + 1,
    ...(args.ruleId ? { ruleId: args.ruleId } : {}),
    ...(args.deviceId ? { deviceId: args.deviceId } : {}),
    ...(args.firing != null ? { firing: args.firing } : {}),
    ...(args.after ? { after: toEpisodePosition(cursors.decode(args.after)) } : {}),
  });
  return timeOrderedPage(episodes, first, args.after, cursorOf);
}

const toEpisodePosition = ({ at, id }: TimePosition) => ({ startedAt: at, id });

/**
 * Records who acknowledged the episode (the caller), when and why, and tells `alertEvents`
 * subscribers. Acknowledging again replaces the note.
 */
export async function acknowledgeAlertEpisode(
  context: GraphQLContext,
  id: string,
  note: string | null | undefined,
) {
  const { organizationId, subject } = context.viewer;
  const acknowledged = await context.services.alerts.acknowledgeEpisode(organizationId, id, {
    by: subject,
    at: Date.now(),
    note: note == null ? null : requireText(note, 'note', 1_000),
  });
  if (!acknowledged) throw notFound(`alert episode ${id}`);
  await context.services.live.publishAlerts([
    {
      organizationId,
      ruleId: acknowledged.ruleId,
      deviceId: acknowledged.deviceId,
      status: acknowledged.endedAt === null ? 'FIRING' : 'OK',
      value: acknowledged.endValue ?? acknowledged.peakValue,
      ts: acknowledged.acknowledgement!.at,
      episodeId: acknowledged.id,
      kind: 'ACKNOWLEDGED',
    },
  ]);
  return acknowledged;
}

export type AlertEpisodeEventKind = 'FIRING' | 'RESOLVED' | 'ACKNOWLEDGED';

export interface AlertEpisodeEvent {
  kind: AlertEpisodeEventKind;
  episode: AlertEpisode;
}

/** How long an event waits for its episode's row (written just after the event is published). */
const EPISODE_READ_ATTEMPTS = 20;
const EPISODE_READ_PAUSE_MS = 100;

/**
 * Each change of an episode in the caller's organization: it began (FIRING), ended (RESOLVED) or
 * was acknowledged, with the episode as it is after the change. The pipeline publishes a change
 * before it saves the episode (at least once, never lost), so the row is read until it shows the
 * change, for up to 2 s: a batch whose save failed publishes its events again when it is retried.
 * Events are handled one after another, so a subscriber sees an episode's changes in order.
 */
export function subscribeAlertEvents(context: GraphQLContext): AsyncIterable<AlertEpisodeEvent> {
  const { organizationId } = context.viewer;
  return liveStream<AlertEpisodeEvent>((push) => {
    let previous = Promise.resolve();
    return context.services.live.subscribeAlerts(organizationId, (event) => {
      const kind: AlertEpisodeEventKind =
        event.kind === 'ACKNOWLEDGED'
          ? 'ACKNOWLEDGED'
          : event.status === 'FIRING'
            ? 'FIRING'
            : 'RESOLVED';
      previous = previous.then(async () => {
        for (let attempt = 0; attempt < EPISODE_READ_ATTEMPTS; attempt++) {
          const [episode] = await context.services.alerts
            .findEpisodes(organizationId, [event.episodeId])
            .catch(() => []);
          const shows = episode && (kind !== 'RESOLVED' || episode.endedAt !== null);
          if (shows) return push({ kind, episode });
          await new Promise((resolve) => setTimeout(resolve, EPISODE_READ_PAUSE_MS));
        }
      });
    });
  });
}
