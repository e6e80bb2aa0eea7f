import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../schema/context.js';
import type { Config } from '../../config/index.js';
import { createCostLimitPlugin } from './cost-limit.js';
import { createCsrfPreventionPlugin } from './csrf.js';
import { createDisableIntrospectionPlugin } from './introspection.js';
import { createQueryLimitsPlugin } from './query-limits.js';
import { createInputRulesPlugin } from './input-rules.js';
import { createValidationCodesPlugin } from './validation-codes.js';

/**
 * GraphQL hardening (issue 4): CSRF refusal first (no parsing at all), then the parse/validate
 * limits and the input rules (no NUL or lone surrogate in any string, no infinite number), then
 * the cost limit as the operation is about to run (it needs the variables). Masked errors stay
 * yoga's default. The body size limit lives in the HTTP layer (body-limit.ts): yoga has no such
 * option.
 */
export function createHardeningPlugins(graphql: Config['graphql']): Plugin<GraphQLContext>[] {
  return [
    createCsrfPreventionPlugin(),
    createQueryLimitsPlugin(graphql),
    ...(graphql.introspection ? [] : [createDisableIntrospectionPlugin()]),
    createInputRulesPlugin(),
    createValidationCodesPlugin(),
    createCostLimitPlugin(graphql.maxCost),
  ];
}
