import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import type { GraphQLContext } from '../api/context.js';
import type { MetricValue } from '../domain/telemetry.js';

/** The Pothos builder: plugins, scalars and the typed context. No types are defined here. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string | number };
    MetricValue: { Input: MetricValue; Output: MetricValue };
  };
}>({
  defaultFieldNullability: false,
  plugins: [RelayPlugin],
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
