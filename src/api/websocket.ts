import type { Server } from 'node:http';
import { getOperationAST, type ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { routeUpgrade } from '../http/upgrade-routes.js';
import { isAsyncIterable, type YogaServerInstance } from 'graphql-yoga';
import type { CredentialVerifier } from '../auth/authenticator.js';
import { watchCredential } from '../auth/credential-watch.js';
import {
  authenticateGuarded,
  createFailedAuthGuard,
  TooManyFailedAuthenticationsError,
  type FailedAuthLimits,
} from '../auth/failed-auth-guard.js';
import { InvalidCredentialError, type Viewer } from '../auth/viewer.js';
import {
  createConnectionSubscriptions,
  type ConnectionSubscriptions,
  type SubscriptionCaps,
} from './connection-subscriptions.js';
import type { GraphQLContext } from '../schema/context.js';
import { bearerToken, type ServerContext } from './server-context.js';
import { createLiveFanout } from './live-fanout.js';
import { liveGroupKey } from './live-fanout-key.js';
import { releasedAtEnd } from '../resolvers/released-at-end.js';

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/** What a connection keeps once `connection_init` has authenticated it. */
type ConnectionState = {
  viewer?: Viewer;
  credentialWatch?: { stop(): void };
  /** The subscriptions it holds, counted against its caps; absent when uncapped. */
  subscriptions?: ConnectionSubscriptions;
};

/** graphql-ws clients send the token as `Authorization` in connection params. */
function tokenFromConnectionParams(params: Readonly<Record<string, unknown>>): string | undefined {
  const headers = (params.headers ?? {}) as Record<string, unknown>;
  return bearerToken(
    params.Authorization ?? params.authorization ?? headers.Authorization ?? headers.authorization,
  );
}

/** graphql-ws's own code for "too many" at initialisation; clients do not retry on it. */
const TOO_MANY_FAILED_AUTHENTICATIONS = CloseCode.TooManyInitialisationRequests;

export interface GraphQLWebSocketOptions {
  /**
   * The largest message accepted, in bytes: GRAPHQL_MAX_BODY_BYTES, the HTTP body limit, so no
   * transport parses more than it. ws closes the socket with 1009 on a larger frame, before
   * graphql-ws sees any of it.
   */
  maxPayloadBytes: number;
  /** Failed authentications per client address; absent, unthrottled. */
  rateLimits?: FailedAuthLimits;
  /** Active subscriptions per connection and per viewer; absent, uncapped. */
  subscriptionCaps?: SubscriptionCaps;
}

/**
 * graphql-ws on the same server and path as HTTP (upgrades routed by path: upgrade-routes.ts). The connection authenticates once, in
 * `connection_init` (refused with 4403 Forbidden when the token is missing or invalid, 4429 once
 * its address failed too often), keeps its Viewer, and is closed with 4401 when that token
 * expires or 4403 once its API key is found revoked (re-checked every few seconds). Every
 * operation goes through `yoga.getEnveloped` with that Viewer, so it gets the same context,
 * validation and plugins as HTTP (graphql-yoga's graphql-ws example) without verifying the token
 * again per subscribe. Subscriptions then join their group of identical subscribers
 * (src/api/live-fanout.ts): each event is executed and serialized once per group. A subscribe
 * over the connection's or the viewer's cap is refused with TOO_MANY_SUBSCRIPTIONS (an `error`
 * message for its id; the connection and its other subscriptions go on), and a subscription's
 * slots are given back when it completes or fails, or when the connection closes.
 */
export function attachGraphQLWebSocket(
  server: Server,
  yoga: YogaServerInstance<ServerContext, GraphQLContext>,
  authenticate: CredentialVerifier,
  options: GraphQLWebSocketOptions,
) {
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  const unroute = routeUpgrade(server, yoga.graphqlEndpoint, (req, socket, head) =>
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req)),
  );
  const fanout = createLiveFanout();
  const disposable = useServer<Record<string, unknown> | undefined, ConnectionState>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: async (ctx) => {
        // Browsers cannot set headers on a WebSocket: connection params are the usual carrier;
        // other clients may send the Authorization header with the upgrade request.
        const token =
          tokenFromConnectionParams(ctx.connectionParams ?? {}) ??
          bearerToken(ctx.extra.request.headers.authorization);
        const { socket, request } = ctx.extra;
        const guard = createFailedAuthGuard(
          options.rateLimits,
          request.socket.remoteAddress ?? 'unknown',
        );
        let viewer: Viewer;
        try {
          viewer = await authenticateGuarded(authenticate, token, guard);
        } catch (error) {
          if (error instanceof TooManyFailedAuthenticationsError) {
            socket.close(TOO_MANY_FAILED_AUTHENTICATIONS, 'Too many failed authentications');
            return false;
          }
          if (error instanceof InvalidCredentialError) return false;
          throw error;
        }
        // The client may have gone while the key set was fetched: no timer for a closed socket.
        if (socket.readyState !== socket.OPEN || token === undefined) return false;
        ctx.extra.viewer = viewer;
        if (options.subscriptionCaps) {
          ctx.extra.subscriptions = createConnectionSubscriptions(options.subscriptionCaps, viewer);
        }
        ctx.extra.credentialWatch = watchCredential({
          viewer,
          reverify: () => authenticate(token),
          onEnd: (end) =>
            end.kind === 'expired'
              ? socket.close(CloseCode.Unauthorized, 'Token expired')
              : socket.close(CloseCode.Forbidden, end.reason),
        });
        return true;
      },
      onClose: (ctx) => {
        ctx.extra.credentialWatch?.stop();
        // Also what a subscribe that threw (graphql-ws then closes the socket with 4500) held.
        ctx.extra.subscriptions?.releaseAll();
      },
      // Called once a subscribe that was admitted ends: completed by either side, failed, or
      // answered by a single result (a refusal such as NOT_FOUND or RATE_LIMITED).
      onComplete: (ctx, _id, payload) => {
        ctx.extra.subscriptions?.release(payload);
      },
      onSubscribe: async (ctx, id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          websocket: true,
          params: payload,
          viewer: ctx.extra.viewer,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as never];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        // Counted before anything is built for it; queries and mutations are not counted.
        const { subscriptions } = ctx.extra;
        const counted =
          subscriptions !== undefined &&
          getOperationAST(document, payload.operationName)?.operation === 'subscription';
        if (counted) {
          const refused = subscriptions.admit(payload);
          if (refused) return [refused];
        }
        let contextValue: GraphQLContext;
        try {
          contextValue = await contextFactory();
        } catch (error) {
          // graphql-ws calls no onComplete for errors returned here.
          if (counted) subscriptions.release(payload);
          return [error as never];
        }
        const root: EnvelopedRoot = {
          execute,
          // Only subscription operations get here (graphql-ws runs queries with `execute`).
          subscribe: async (args) => {
            const result = await fanout.subscribe(
              liveGroupKey(document, payload.operationName, payload.variables, contextValue.viewer),
              { socket: ctx.extra.socket, id },
              () => subscribe(args) as never,
            );
            // Its slots go back as the stream ends (a refusal's: in onComplete).
            return counted && isAsyncIterable(result)
              ? releasedAtEnd(result, () => subscriptions.release(payload))
              : result;
          },
        };
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          rootValue: root,
        };
      },
    },
    wsServer,
  );
  return {
    async close() {
      unroute();
      await disposable.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
