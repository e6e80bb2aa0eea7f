import type { Server } from 'node:http';
import type { ApiServices } from '../schema/context.js';
import { createExportHandler, EXPORT_PATH } from '../api/export/handler.js';
import { createGraphQLHandler } from '../api/graphql.js';
import { createGraphQLPlugins } from '../api/graphql-plugins.js';
import { limitRequestBody } from '../api/hardening/body-limit.js';
import { createViewerSubscriptions } from '../api/subscription-caps.js';
import { attachGraphQLWebSocket } from '../api/websocket.js';
import { createApiKeyVerifier } from '../auth/api-keys.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { createJwtVerifier } from '../auth/jwt.js';
import { cacheVerifiedTokens } from '../auth/verified-token-cache.js';
import type { Config } from '../config/index.js';
import type { RateLimitPolicy } from '../http/rate-limit-policy.js';
import type { RequestHandler } from '../http/service-server.js';
import type { Logger } from '../logger.js';

/**
 * GraphQL over HTTP and WebSocket on the given services, wired alike for the embedded app and
 * the `api` role: JWT and API-key authentication, yoga with its plugins and rate limits, the
 * request body cap, graphql-ws on the same server, and the subscription caps both share; and
 * the api's other routes (`GET /v1/export`), authenticated and rate limited alike.
 */
export function createGraphQLApi(options: {
  config: Config;
  logger: Logger;
  services: ApiServices;
  /** What user tokens are signed with: JWT_SECRET, or embedded mode's generated secret. */
  jwtSecret: string | undefined;
  rateLimits: RateLimitPolicy;
}) {
  const { config, logger, services, rateLimits } = options;
  const apiKeyVerifier = createApiKeyVerifier({
    repository: services.apiKeys,
    logger: logger.child({ component: 'api-keys' }),
  });
  const authenticate = createAuthenticator({
    jwt: createJwtVerifier({ ...config.auth, secret: options.jwtSecret }),
    apiKey: apiKeyVerifier.verify,
  });
  // One count per process for both transports: a user's sockets and SSE streams share a cap.
  const subscriptions = createViewerSubscriptions(config.graphql.maxSubscriptionsPerUser);
  const yoga = createGraphQLHandler({
    services,
    settings: {
      deviceTokenGraceSeconds: config.deviceTokenGraceSeconds,
      maxCost: config.graphql.maxCost,
      retention: config.retention,
      notificationAllowedNetworks: config.notifications.allowedNetworks,
    },
    authenticate,
    plugins: createGraphQLPlugins({ graphql: config.graphql, rateLimits, subscriptions }),
    logger: logger.child({ component: 'graphql' }),
    rateLimits,
  });
  const exportHandler = createExportHandler({
    devices: services.devices,
    telemetry: services.telemetry,
    authenticate: cacheVerifiedTokens(authenticate),
    rateLimits,
    retention: config.retention,
    logger: logger.child({ component: 'export' }),
  });
  return {
    /** The HTTP handler, bodies capped at GRAPHQL_MAX_BODY_BYTES. */
    handler: limitRequestBody(yoga, config.graphql.maxBodyBytes),
    /** The api's routes besides GraphQL, by exact path. */
    routes: { [EXPORT_PATH]: exportHandler } satisfies Record<string, RequestHandler>,
    /** graphql-ws on the server's upgrades; close it before the server. */
    attachWebSocket: (server: Server) =>
      attachGraphQLWebSocket(server, yoga, authenticate, {
        maxPayloadBytes: config.graphql.maxBodyBytes,
        rateLimits,
        subscriptionCaps: {
          maxPerConnection: config.graphql.maxSubscriptionsPerConnection,
          viewers: subscriptions,
        },
      }),
    /** Writes out pending API-key last-used times: before the repositories close. */
    close: () => apiKeyVerifier.close(),
  };
}
