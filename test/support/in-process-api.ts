import type { ApiServices, ApiSettings } from '../../src/schema/context.js';
import { createGraphQLHandler } from '../../src/api/graphql.js';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { createJwtVerifier } from '../../src/auth/jwt.js';
import type { Role } from '../../src/auth/viewer.js';
import { createLogger } from '../../src/logger.js';
import { userToken } from './tokens.js';

const jwt = {
  secret: 'in-process-api-test-secret-0123456789abcdef',
  issuer: 'iot-analytics',
  audience: 'iot-analytics-api',
};

/**
 * The GraphQL handler over the given services, called in this process (no HTTP server, no
 * hardening or rate-limit plugins): for tests that wrap or count what the resolvers ask of the
 * ports.
 */
export function createInProcessApi(services: ApiServices, settings: Partial<ApiSettings> = {}) {
  const yoga = createGraphQLHandler({
    services,
    settings: {
      deviceTokenGraceSeconds: 0,
      maxCost: 20_000,
      notificationAllowedNetworks: [],
      ...settings,
    },
    authenticate: createAuthenticator({ jwt: createJwtVerifier(jwt) }),
    plugins: [],
    logger: createLogger('silent', 'test'),
  });
  return {
    token: (organizationId: string, role: Role) => userToken(jwt, organizationId, role),
    /** POSTs a GraphQL request as the bearer of `token`; the answer's status and raw text. */
    async post(token: string, body: object) {
      const response = await yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return { status: response.status, text: await response.text() };
    },
  };
}
