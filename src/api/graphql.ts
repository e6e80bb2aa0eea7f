import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { CredentialVerifier } from '../auth/authenticator.js';
import { InvalidCredentialError, type Viewer } from '../auth/viewer.js';
import type { Logger } from '../logger.js';
import { unauthenticated } from '../resolvers/errors.js';
import { schema } from '../schema/index.js';
import {
  createLoaders,
  type ApiServices,
  type ApiSettings,
  type GraphQLContext,
} from './context.js';

/**
 * What yoga hands the context factory besides the request: a WebSocket operation arrives with
 * the Viewer its connection authenticated in `connection_init` (src/api/websocket.ts).
 */
export interface ServerContext {
  viewer?: Viewer;
  /** True for operations over graphql-ws (no HTTP status or headers to set). */
  websocket?: boolean;
}

export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

export function createGraphQLHandler(options: {
  services: ApiServices;
  settings: ApiSettings;
  authenticate: CredentialVerifier;
  plugins: Plugin<GraphQLContext>[];
  logger: Logger;
}): YogaServerInstance<ServerContext, GraphQLContext> {
  const { services, settings, authenticate, plugins, logger } = options;

  async function authenticateRequest(request: Request): Promise<Viewer> {
    const token = bearerToken(request.headers.get('authorization'));
    if (!token) throw unauthenticated('send a bearer token: Authorization: Bearer <JWT>');
    try {
      return await authenticate(token);
    } catch (error) {
      if (error instanceof InvalidCredentialError) throw unauthenticated(error.message);
      throw error;
    }
  }

  return createYoga<ServerContext, GraphQLContext>({
    schema,
    plugins,
    graphqlEndpoint: '/graphql',
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
    // GraphiQL's assets served from this process, not a CDN: it works on closed networks.
    renderGraphiQL,
    logging: {
      debug: (...args) => logger.debug(args),
      info: (...args) => logger.info(args),
      warn: (...args) => logger.warn(args),
      error: (...args) => logger.error(args),
    },
    context: async (initial) => {
      const viewer = initial.viewer ?? (await authenticateRequest(initial.request));
      return {
        viewer,
        services,
        settings,
        loaders: createLoaders(services, viewer.organizationId),
      };
    },
  });
}
