import type { ServerResponse } from 'node:http';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../schema/context.js';
import type { ServerContext } from './server-context.js';
import { releasedAtEnd } from '../resolvers/released-at-end.js';
import type { ViewerSubscriptions } from './subscription-caps.js';

/** Over Node's HTTP server yoga's context also carries the response (@whatwg-node/server). */
type OperationContext = GraphQLContext & ServerContext & { res?: ServerResponse };

/**
 * Counts the subscriptions that are not over graphql-ws (SSE, GraphiQL's transport) against
 * their viewer's cap, GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: over it, the subscribe is answered by a
 * TOO_MANY_SUBSCRIPTIONS error. graphql-ws ones are counted by their connection
 * (connection-subscriptions.ts), which knows when each ends: fan-out closes the stream this
 * plugin would see at once for a subscriber that joins an existing group.
 *
 * The slot is taken as the subscribe runs (after every plugin's checks, so a request refused
 * earlier takes none) and given back when the stream ends, or when the HTTP response closes:
 * a client gone, or a response that never read the stream (a subscription POSTed without
 * `Accept: text/event-stream` gets a 406).
 */
export function createSubscriptionCapPlugin(viewers: ViewerSubscriptions): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const context = args.contextValue as OperationContext;
      if (context.websocket === true) return;
      setSubscribeFn(async (subscribeArgs) => {
        const admission = viewers.admit(context.viewer);
        if ('refused' in admission) return { errors: [admission.refused] };
        const { release } = admission;
        context.res?.once('close', release);
        let result;
        try {
          result = await subscribeFn(subscribeArgs);
        } catch (error) {
          release();
          throw error;
        }
        if (!isAsyncIterable(result)) {
          release();
          return result;
        }
        return releasedAtEnd(result, release);
      });
    },
  };
}
