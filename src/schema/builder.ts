import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { createGraphQLError } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';
import type { Permission } from '../auth/viewer.js';
import type { MetricValue } from '../domain/telemetry.js';

/** The Pothos builder: plugins, scalars and the typed context. No types are defined here. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  AuthScopes: { permission: Permission };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string | number };
    MetricValue: { Input: MetricValue; Output: MetricValue };
  };
}>({
  defaultFieldNullability: false,
  plugins: [ScopeAuthPlugin, RelayPlugin],
  scopeAuth: {
    // Every field names the permission it needs (`authScopes`); the viewer's role or API key
    // scopes decide. Refusals carry FORBIDDEN and reveal nothing else.
    authScopes: (context) => ({
      permission: (permission: Permission) => context.viewer.permissions.has(permission),
    }),
    // A subscription's scopes are checked when it is opened (Pothos checks each event otherwise):
    // a caller without the permission is refused at once instead of holding a stream that
    // answers FORBIDDEN to every event, and a fan-out does not re-run the check per subscriber.
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, _context, _info, result) =>
      createGraphQLError(
        result.message.startsWith('Not authorized')
          ? 'not allowed for this caller'
          : result.message,
        {
          extensions: { code: 'FORBIDDEN' },
        },
      ),
  },
  relay: {
    // Device ids are plain UUIDs shared with ingest and subscriptions, not Relay global ids.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    clientMutationId: 'omit',
    cursorType: 'String',
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
