import { createGraphQLError } from 'graphql-yoga';
import type { GraphQLError } from 'graphql';
import type { Viewer } from '../auth/viewer.js';
import { liveSubscriptions } from '../metrics/live-metrics.js';

export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS';

/** A subscribe refused because a cap is reached; the caller's other subscriptions go on. */
export function tooManySubscriptionsError(message: string, maxSubscriptions: number) {
  return createGraphQLError(message, {
    extensions: { code: TOO_MANY_SUBSCRIPTIONS, maxSubscriptions },
  });
}

/** One subscription's slot: given back once, however many of its ends call it. */
export type Release = () => void;

export type Admission = { release: Release } | { refused: GraphQLError };

/**
 * Active subscriptions per viewer, counted in this process across every transport
 * (GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER): each one holds memory (its context, its graphql-ws or SSE
 * stream, a fan-out membership) for as long as it lives, so without a cap one caller could grow
 * the process until every other caller waits. Counted per process and not in Redis: the memory
 * it protects is this process's, and a count that outlived a crashed process would lock its
 * callers out.
 */
export interface ViewerSubscriptions {
  /** Takes one of the viewer's slots, or refuses it with TOO_MANY_SUBSCRIPTIONS. */
  admit(viewer: Viewer): Admission;
}

/**
 * Users and API keys are counted apart; a user's `sub` is only unique within its organization
 * (as in the rate-limit policy), so its key carries the organization. JSON keeps the parts apart
 * whatever characters the claims hold.
 */
const viewerKey = (viewer: Viewer) =>
  JSON.stringify(
    viewer.kind === 'user'
      ? ['user', viewer.organizationId, viewer.subject]
      : ['apiKey', viewer.subject],
  );

export function createViewerSubscriptions(maxPerViewer: number): ViewerSubscriptions {
  // Only viewers holding something have an entry: the map is as large as the live callers.
  const held = new Map<string, number>();
  return {
    admit(viewer) {
      const key = viewerKey(viewer);
      const count = held.get(key) ?? 0;
      if (count >= maxPerViewer) {
        const who = viewer.kind === 'user' ? 'user' : 'API key';
        return {
          refused: tooManySubscriptionsError(
            `too many active subscriptions: at most ${maxPerViewer} per ${who} (in one api process)`,
            maxPerViewer,
          ),
        };
      }
      held.set(key, count + 1);
      liveSubscriptions.inc();
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          liveSubscriptions.dec();
          const left = (held.get(key) ?? 1) - 1;
          if (left > 0) held.set(key, left);
          else held.delete(key);
        },
      };
    },
  };
}
