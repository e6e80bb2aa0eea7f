import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLArmorCallbackConfiguration } from '@escape.tech/graphql-armor-types';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../schema/context.js';
import type { Config } from '../../config/index.js';

/** Every limit below refuses with this code; the message says which limit and by how much. */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

/**
 * No setting: a legitimate operation uses a handful of @include/@skip, and a directive flood
 * past this is caught by the token limit anyway.
 */
const MAX_DIRECTIVES = 50;

function tooComplex(rejected: GraphQLError): GraphQLError {
  // armor prefixes every refusal with "Syntax Error: ", which misleads a client whose query parses.
  const message = rejected.message.replace(/^Syntax Error: /, '');
  return new GraphQLError(message, { extensions: { code: QUERY_TOO_COMPLEX } });
}

/**
 * armor's own errors carry no `extensions.code`. Rather than letting armor throw, each refusal is
 * re-issued with our code: validation rules report it into the validation result (so yoga and
 * our graphql-ws server both answer it as a normal validation error), and the token limit, which
 * runs inside the parser, throws it from there (a parse error, handled the same way).
 */
const reportWithCode: GraphQLArmorCallbackConfiguration = {
  propagateOnRejection: false,
  onReject: [
    (context, error) => {
      if (!context) throw tooComplex(error);
      context.reportError(tooComplex(error));
    },
  ],
};

/**
 * Depth, aliases, tokens and directives, from config.graphql (graphql-armor). These run in
 * envelop's parse/validate phases, before any resolver, context or database work. armor's cost
 * limit is off: it reads no variables (a `$first` counted as 1), so cost-limit.ts counts it.
 */
export function createQueryLimitsPlugin(graphql: Config['graphql']): Plugin<GraphQLContext> {
  return EnvelopArmorPlugin({
    maxTokens: { n: graphql.maxTokens, ...reportWithCode },
    // Fragments add no real nesting: count the fields they hold, not the spread itself.
    maxDepth: { n: graphql.maxDepth, flattenFragments: true, ...reportWithCode },
    maxAliases: { n: graphql.maxAliases, ...reportWithCode },
    maxDirectives: { n: MAX_DIRECTIVES, ...reportWithCode },
    costLimit: { enabled: false },
    // "Did you mean …?" would hand out the schema piece by piece when introspection is off.
    blockFieldSuggestion: { enabled: !graphql.introspection },
  });
}
