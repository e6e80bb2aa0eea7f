import { GraphQLError } from 'graphql';
import type { Viewer } from '../auth/viewer.js';
import {
  tooManySubscriptionsError,
  type Release,
  type ViewerSubscriptions,
} from './subscription-caps.js';

export interface SubscriptionCaps {
  /** GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION. */
  maxPerConnection: number;
  /** The process's per-viewer count (GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER), shared with SSE. */
  viewers: ViewerSubscriptions;
}

/**
 * The subscriptions one graphql-ws connection holds, each with the viewer's slot it took, so
 * that the connection's cap is checked before anything is built for a subscribe and everything
 * is given back when the connection closes, whatever state its subscriptions were in.
 *
 * An operation is keyed by its subscribe message's payload object, which graphql-ws hands to
 * `onSubscribe` and again to `onComplete` for that same operation. Its id would not do: a client
 * may reuse an id as soon as it has sent `complete`, before the server's `onComplete` for the
 * old one has run, which would then give back the new one's slots.
 */
export function createConnectionSubscriptions(caps: SubscriptionCaps, viewer: Viewer) {
  const held = new Map<object, Release>();
  let closed = false;
  return {
    /** Takes a slot of the connection and one of its viewer's; the refusal otherwise. */
    admit(operation: object): GraphQLError | undefined {
      // Nothing may be taken after releaseAll: no one would give it back.
      if (closed) return new GraphQLError('the connection is closed');
      if (held.size >= caps.maxPerConnection) {
        return tooManySubscriptionsError(
          `too many active subscriptions: at most ${caps.maxPerConnection} per connection`,
          caps.maxPerConnection,
        );
      }
      const admission = caps.viewers.admit(viewer);
      if ('refused' in admission) return admission.refused;
      held.set(operation, admission.release);
      return undefined;
    },
    /** The operation completed, failed or was refused after admission; unknown ones are ignored. */
    release(operation: object) {
      held.get(operation)?.();
      held.delete(operation);
    },
    /** The connection closed: everything it held is given back, and nothing more is admitted. */
    releaseAll() {
      closed = true;
      for (const release of held.values()) release();
      held.clear();
    },
  };
}

export type ConnectionSubscriptions = ReturnType<typeof createConnectionSubscriptions>;
