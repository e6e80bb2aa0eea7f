import { Repeater } from '@repeaterjs/repeater';
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { watchCredential } from '../auth/credential-watch.js';
import { unauthenticated } from '../resolvers/errors.js';
import type { GraphQLContext } from '../schema/context.js';
import type { ServerContext } from './server-context.js';

type OperationContext = GraphQLContext & ServerContext;

/**
 * Ends a subscription stream when the caller's credential stops being valid: at the JWT's `exp`
 * or the API key's `expiresAt`, or once a periodic re-check finds the key revoked. The stream
 * delivers one last result, an UNAUTHENTICATED error, then completes, so a client (GraphiQL over
 * SSE) knows to sign in again rather than wait for events that will never come.
 */
function endWithCredential(
  source: AsyncIterable<ExecutionResult>,
  context: OperationContext,
): Repeater<ExecutionResult> {
  return new Repeater<ExecutionResult>(async (push, stop) => {
    const watch = watchCredential({
      viewer: context.viewer,
      reverify: context.reverifyCredential,
      onEnd: (end) => {
        void push({ errors: [unauthenticated(end.reason)] });
        stop();
      },
    });
    const iterator = source[Symbol.asyncIterator]();
    const stopped = stop.then(() => ({ done: true as const, value: undefined }));
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), stopped]);
        if (next.done) break;
        await push(next.value);
      }
    } finally {
      watch.stop();
      stop();
      // Ends the source too: the live hub listeners of the subscription are removed.
      await iterator.return?.();
    }
  });
}

/**
 * Applies endWithCredential to every subscription that is not over graphql-ws (SSE, or any
 * other HTTP transport yoga serves); a graphql-ws connection is closed whole, with 4401 or 4403,
 * by websocket.ts, which ends its subscriptions with it.
 */
export function createSubscriptionLifetimePlugin(): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args }) {
      const context = args.contextValue as OperationContext;
      if (context.websocket === true) return undefined;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(endWithCredential(result, context));
        },
      };
    },
  };
}
