import type { Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { CredentialVerifier } from '../auth/authenticator.js';
import { InvalidCredentialError, type Viewer } from '../auth/viewer.js';
import type { GraphQLContext } from './context.js';
import { bearerToken, type ServerContext } from './graphql.js';

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/** What a connection keeps once `connection_init` has authenticated it. */
type ConnectionState = {
  viewer?: Viewer;
  expiryTimer?: NodeJS.Timeout;
};

/** graphql-ws clients send the token as `Authorization` in connection params. */
function tokenFromConnectionParams(params: Readonly<Record<string, unknown>>): string | undefined {
  const headers = (params.headers ?? {}) as Record<string, unknown>;
  return bearerToken(
    params.Authorization ?? params.authorization ?? headers.Authorization ?? headers.authorization,
  );
}

// setTimeout fires at once past 2^31-1 ms (~24.8 days); longer-lived tokens re-arm the timer.
const MAX_TIMER_MS = 2 ** 31 - 1;

function closeWhenExpired(socket: WebSocket, state: ConnectionState, expiresAt: number) {
  const remaining = expiresAt - Date.now();
  if (remaining <= 0) {
    socket.close(CloseCode.Unauthorized, 'Token expired');
    return;
  }
  state.expiryTimer = setTimeout(
    () => closeWhenExpired(socket, state, expiresAt),
    Math.min(remaining, MAX_TIMER_MS),
  );
  state.expiryTimer.unref();
}

/**
 * graphql-ws on the same server and path as HTTP. The connection authenticates once, in
 * `connection_init` (refused with 4403 Forbidden when the token is missing or invalid), keeps its
 * Viewer, and is closed with 4401 when that token expires. Every operation goes through
 * `yoga.getEnveloped` with that Viewer, so it gets the same context, validation and plugins as
 * HTTP (graphql-yoga's graphql-ws example) without verifying the token again per subscribe.
 */
export function attachGraphQLWebSocket(
  server: Server,
  yoga: YogaServerInstance<ServerContext, GraphQLContext>,
  authenticate: CredentialVerifier,
) {
  const wsServer = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
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
        if (!token) return false;
        try {
          ctx.extra.viewer = await authenticate(token);
        } catch (error) {
          if (error instanceof InvalidCredentialError) return false;
          throw error;
        }
        // The client may have gone while the key set was fetched: no timer for a closed socket.
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
        if (ctx.extra.viewer.expiresAt !== undefined) {
          closeWhenExpired(ctx.extra.socket, ctx.extra, ctx.extra.viewer.expiresAt);
        }
        return true;
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
      },
      onSubscribe: async (ctx, _id, payload) => {
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
        let contextValue;
        try {
          contextValue = await contextFactory();
        } catch (error) {
          return [error as never];
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
    },
    wsServer,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
