import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../schema/context.js';

export const CSRF_HEADER_REQUIRED = 'CSRF_HEADER_REQUIRED';

/**
 * Any one of these marks a request as not "simple", so a browser must preflight it (CORS)
 * before sending it cross-site. The Apollo names let Apollo clients work unchanged.
 */
export const CSRF_HEADERS = [
  'x-graphql-client',
  'x-apollo-operation-name',
  'apollo-require-preflight',
];

/**
 * A browser sends GET requests and form-encoded/text/plain POSTs cross-site without a preflight;
 * the plugin refuses those unless one of CSRF_HEADERS is present. POST with application/json
 * (GraphiQL, every GraphQL client) is preflighted already and passes untouched. Wrapped only to
 * give the refusal an `extensions.code` like every other error we send.
 */
export function createCsrfPreventionPlugin(): Plugin<GraphQLContext> {
  const plugin = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  return {
    onRequestParse(payload) {
      try {
        return plugin.onRequestParse?.(payload);
      } catch {
        throw createGraphQLError(
          `cross-site request refused: send one of these headers: ${CSRF_HEADERS.join(', ')}`,
          { extensions: { code: CSRF_HEADER_REQUIRED, http: { status: 403 } } },
        );
      }
    },
  };
}
