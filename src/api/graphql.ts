import { GraphQLError } from 'graphql';
import {
  createGraphQLError,
  createYoga,
  maskError,
  type MaskError,
  type Plugin,
  type YogaServerInstance,
} from 'graphql-yoga';
import type { CredentialVerifier } from '../auth/authenticator.js';
import {
  authenticateGuarded,
  createFailedAuthGuard,
  TooManyFailedAuthenticationsError,
  type FailedAuthLimits,
} from '../auth/failed-auth-guard.js';
import { cacheVerifiedTokens } from '../auth/verified-token-cache.js';
import { InvalidCredentialError, type Viewer } from '../auth/viewer.js';
import type { Logger } from '../logger.js';
import { InputRefusedError } from '../ports/input-refused.js';
import { StoreTimeoutError } from '../ports/store-timeout.js';
import { badUserInput, unauthenticated } from '../resolvers/errors.js';
import { schema } from '../schema/index.js';
import type { ApiServices, ApiSettings, GraphQLContext } from '../schema/context.js';
import { createLoaders } from './loaders.js';
import { bearerToken, type ServerContext } from './server-context.js';
import { useConsole } from './console/serve.js';
import { renderGraphiQL, useGraphiQLAssets } from './graphiql/index.js';
import { createQueryJitPlugin } from './query-jit.js';
import { rateLimitedError } from './rate-limit-plugin.js';
import { createSubscriptionLifetimePlugin } from './subscription-lifetime.js';

export function createGraphQLHandler(options: {
  services: ApiServices;
  settings: ApiSettings;
  authenticate: CredentialVerifier;
  plugins: Plugin<GraphQLContext>[];
  logger: Logger;
  /** Failed authentications per client address (429 over the limit); absent, unthrottled. */
  rateLimits?: FailedAuthLimits;
}): YogaServerInstance<ServerContext, GraphQLContext> {
  const { services, settings, authenticate, plugins, logger, rateLimits } = options;
  // A client's JWT is signature-checked once, not on every request (verified-token-cache.ts).
  const authenticateCached = cacheVerifiedTokens(authenticate);

  async function authenticateRequest(token: string | undefined, client: string): Promise<Viewer> {
    try {
      return await authenticateGuarded(
        authenticateCached,
        token,
        createFailedAuthGuard(rateLimits, client),
      );
    } catch (error) {
      if (error instanceof TooManyFailedAuthenticationsError) {
        throw rateLimitedError(error.decision, true);
      }
      if (error instanceof InvalidCredentialError) {
        throw unauthenticated(
          token ? error.message : 'send a bearer token: Authorization: Bearer <JWT>',
        );
      }
      throw error;
    }
  }

  return createYoga<ServerContext, GraphQLContext>({
    schema,
    // Subscription streams over SSE end when the caller's credential does (graphql-ws
    // connections are closed whole by websocket.ts).
    plugins: [
      // GraphiQL's files, answered before any GraphQL handling (src/api/graphiql/).
      useGraphiQLAssets(),
      // The web console's files (console/, built into console/dist; src/api/console/).
      useConsole(),
      ...plugins,
      createSubscriptionLifetimePlugin(),
      createQueryJitPlugin(),
    ],
    graphqlEndpoint: '/graphql',
    // The HTTP layer caps and reads the body before yoga sees it (hardening/body-limit.ts, at
    // GRAPHQL_MAX_BODY_BYTES): yoga's own 25 MB cap would only stream it through again.
    maxRequestBodySize: false,
    maskedErrors: { maskError: maskUnlessInputRefused },
    landingPage: false,
    graphiql: {
      title: 'IoT Analytics API',
      // Browsers cannot put headers on a WebSocket and GraphiQL sends an empty connection_init,
      // so GraphiQL subscribes over SSE (same endpoint and auth as queries); dashboards use
      // graphql-ws.
      subscriptionsProtocol: 'SSE',
      // A template only: the token itself is never put into a page.
      headers: JSON.stringify({ Authorization: 'Bearer <your JWT or API key>' }, null, 2),
      shouldPersistHeaders: true,
      // GraphiQL's subscription GETs carry the CSRF-prevention marker (src/api/hardening/csrf.ts).
      additionalHeaders: { 'x-graphql-client': 'graphiql' },
    },
    // GraphiQL's assets served from this process, not a CDN: it works on closed networks. A page
    // of a few KB loading them as separate cacheable files (src/api/graphiql/).
    renderGraphiQL,
    logging: {
      debug: toPino((fields, message) => logger.debug(fields, message)),
      info: toPino((fields, message) => logger.info(fields, message)),
      warn: toPino((fields, message) => logger.warn(fields, message)),
      error: toPino((fields, message) => logger.error(fields, message)),
    },
    context: async (initial) => {
      const common = { services, settings };
      if (initial.viewer) {
        const viewer = initial.viewer;
        return { ...common, viewer, loaders: createLoaders(services, viewer.organizationId) };
      }
      const token = bearerToken(initial.request.headers.get('authorization'));
      const client = initial.req?.socket.remoteAddress ?? 'unknown';
      const viewer = await authenticateRequest(token, client);
      return {
        ...common,
        viewer,
        reverifyCredential: token === undefined ? undefined : () => authenticate(token),
        loaders: createLoaders(services, viewer.organizationId),
      };
    },
  });
}

/**
 * yoga's masking, except for a value a repository refused for good (InputRefusedError: a second
 * line behind the input rules, src/api/hardening/input-rules.ts), which is the caller's input, not an
 * internal failure: BAD_USER_INPUT, without the database's own words; and a telemetry read the
 * store stopped at its deadline (StoreTimeoutError): STORE_TIMEOUT, so the caller knows to ask
 * for less.
 */
const maskUnlessInputRefused: MaskError = (error, message, isDev) => {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof InputRefusedError) {
    return badUserInput(
      'a value in the input cannot be stored (a number out of range, or text the database cannot keep)',
    );
  }
  if (original instanceof StoreTimeoutError) {
    return createGraphQLError(`${original.message} (STORE_QUERY_TIMEOUT_MS): ${original.advice}`, {
      extensions: { code: 'STORE_TIMEOUT' },
    });
  }
  return maskError(error, message, isDev);
};

/**
 * Yoga logs `(message?, ...values)`, pino wants `(fields, message)`: an error goes under `err`
 * (pino's serializer keeps its message and stack), strings make the message, the rest `details`.
 */
function toPino(log: (fields: object, message?: string) => void) {
  return (...args: unknown[]) => {
    const message = args.filter((arg) => typeof arg === 'string').join(' ');
    const err = args.find((arg) => arg instanceof Error);
    const details = args.filter((arg) => typeof arg !== 'string' && !(arg instanceof Error));
    log({ ...(err ? { err } : {}), ...(details.length ? { details } : {}) }, message || undefined);
  };
}
