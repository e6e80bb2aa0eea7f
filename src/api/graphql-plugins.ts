import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { RateLimitPolicy } from '../http/rate-limit-policy.js';
import type { GraphQLContext } from './context.js';
import { createRateLimitPlugin } from './rate-limit-plugin.js';
import { createHardeningPlugins } from './hardening/plugins.js';

export interface GraphQLPluginOptions {
  graphql: Config['graphql'];
  /** Charges each operation to its viewer; absent, GraphQL is unlimited. */
  rateLimits?: RateLimitPolicy;
}

/**
 * The envelop/yoga plugins every GraphQL operation (HTTP and WebSocket) goes through:
 * hardening limits, rate limiting. Order matters: cheap refusals first.
 */
export function createGraphQLPlugins(options: GraphQLPluginOptions): Plugin<GraphQLContext>[] {
  return [
    ...createHardeningPlugins(options.graphql),
    ...(options.rateLimits ? [createRateLimitPlugin(options.rateLimits)] : []),
  ];
}
