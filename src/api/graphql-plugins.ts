import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config/index.js';
import type { RateLimitPolicy } from '../http/rate-limit-policy.js';
import { createGraphQLMetricsPlugin } from '../metrics/graphql-metrics.js';
import { createGraphQLTracingPlugins } from '../tracing/graphql-tracing.js';
import type { GraphQLContext } from '../schema/context.js';
import { createRateLimitPlugin } from './rate-limit-plugin.js';
import { createHardeningPlugins } from './hardening/plugins.js';
import { createSubscriptionCapPlugin } from './subscription-cap-plugin.js';
import type { ViewerSubscriptions } from './subscription-caps.js';

export interface GraphQLPluginOptions {
  graphql: Config['graphql'];
  /** Charges each operation to its viewer; absent, GraphQL is unlimited. */
  rateLimits?: RateLimitPolicy;
  /**
   * Counts subscriptions over HTTP (SSE) against their viewer's cap; the same count graphql-ws
   * connections take from (websocket.ts). Absent, uncapped.
   */
  subscriptions?: ViewerSubscriptions;
}

/**
 * The envelop/yoga plugins every GraphQL operation (HTTP and WebSocket) goes through: traces
 * (when on), metrics, hardening limits, rate limiting, the subscription cap. Order matters:
 * traces and metrics first, so they see what the others refuse; cheap refusals next; and the
 * cap's slot is taken only by a subscribe nothing else refused.
 */
export function createGraphQLPlugins(options: GraphQLPluginOptions): Plugin<GraphQLContext>[] {
  return [
    ...(createGraphQLTracingPlugins() as Plugin<GraphQLContext>[]),
    createGraphQLMetricsPlugin() as Plugin<GraphQLContext>,
    ...createHardeningPlugins(options.graphql),
    ...(options.rateLimits ? [createRateLimitPlugin(options.rateLimits)] : []),
    ...(options.subscriptions ? [createSubscriptionCapPlugin(options.subscriptions)] : []),
  ];
}
