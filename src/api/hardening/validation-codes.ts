import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';

export const GRAPHQL_VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';

/**
 * Clients branch on `extensions.code`, yet graphql-js's own validation errors (unknown field,
 * introspection disabled, wrong argument type) carry none. Give them Apollo's conventional code;
 * errors that already have one (our limits) keep theirs.
 */
export function createValidationCodesPlugin(): Plugin<GraphQLContext> {
  return {
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (valid) return;
        setResult(
          result.map((error) =>
            error.extensions.code
              ? error
              : new GraphQLError(error.message, {
                  nodes: error.nodes,
                  source: error.source,
                  positions: error.positions,
                  path: error.path,
                  originalError: error.originalError,
                  extensions: { ...error.extensions, code: GRAPHQL_VALIDATION_FAILED },
                }),
          ),
        );
      };
    },
  };
}
