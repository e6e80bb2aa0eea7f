import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { ExecutionResult } from 'graphql';
import { rateLimitHeaders, rateLimitedMessage } from '../http/rate-limit-headers.js';
import type { RateLimitPolicy } from '../http/rate-limit-policy.js';
import type { RateLimitDecision } from '../ports/rate-limiter.js';
import type { GraphQLContext } from '../schema/context.js';
import type { ServerContext } from './server-context.js';

type OperationContext = GraphQLContext & ServerContext;

/** websocket.ts marks its operations; everything else came over HTTP. */
const overHttp = (context: OperationContext) => context.websocket !== true;

/** RATE_LIMITED; over HTTP yoga answers 429 with Retry-After and the RateLimit-* headers. */
export function rateLimitedError(decision: RateLimitDecision, http: boolean) {
  return createGraphQLError(rateLimitedMessage(decision), {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds: decision.retryAfterSeconds,
      // Over HTTP yoga answers 429 with these headers (and strips `http` from the body).
      ...(http ? { http: { status: 429, headers: rateLimitHeaders(decision) } } : {}),
    },
  });
}

/**
 * Charges every operation to its viewer (user or API key) once the context has authenticated
 * them: each query and mutation, and each subscribe (not each event it delivers), over HTTP and
 * WebSocket alike. Successful HTTP responses carry the RateLimit-* headers too.
 */
export function createRateLimitPlugin(policy: RateLimitPolicy): Plugin<GraphQLContext> {
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as OperationContext;
      const decision = await policy.viewer(context.viewer);
      const http = overHttp(context);
      if (!decision.allowed) {
        setResultAndStopExecution({ errors: [rateLimitedError(decision, http)] });
        return undefined;
      }
      if (!http) return undefined;
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const done: ExecutionResult = result;
          setResult({
            ...done,
            extensions: { ...done.extensions, http: { headers: rateLimitHeaders(decision) } },
          });
        },
      };
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const context = args.contextValue as OperationContext;
      const decision = await policy.viewer(context.viewer);
      if (!decision.allowed) {
        setResultAndStopExecution({ errors: [rateLimitedError(decision, overHttp(context))] });
      }
    },
  };
}
