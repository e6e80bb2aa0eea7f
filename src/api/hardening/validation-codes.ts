import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../schema/context.js';

export const GRAPHQL_PARSE_FAILED = 'GRAPHQL_PARSE_FAILED';
export const GRAPHQL_VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';
export const BAD_USER_INPUT = 'BAD_USER_INPUT';

function withCode(error: GraphQLError, code: string) {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/**
 * An operation refused before it ran — graphql-js coercing its variables (`Variable "$first" got
 * invalid value …`) — is answered by errors without a path and without a code. They are the
 * caller's input: BAD_USER_INPUT. (A scalar that throws a plain TypeError is masked by yoga
 * before this runs: our scalars throw GraphQL errors, src/schema/scalars.ts.)
 */
function codeRequestErrors(result: ExecutionResult): ExecutionResult | undefined {
  const errors = result.errors;
  if (!errors?.some((error) => error.path === undefined && !error.extensions?.code)) {
    return undefined;
  }
  return {
    ...result,
    errors: errors.map((error) =>
      error.path === undefined && !error.extensions?.code ? withCode(error, BAD_USER_INPUT) : error,
    ),
  };
}

/**
 * Clients branch on `extensions.code`, yet graphql-js's own errors carry none: syntax errors get
 * GRAPHQL_PARSE_FAILED (yoga adds it over HTTP only, not over graphql-ws), validation errors
 * (unknown field, introspection disabled, wrong argument type) Apollo's conventional
 * GRAPHQL_VALIDATION_FAILED, variable coercion errors BAD_USER_INPUT; errors that already have
 * a code (our limits) keep theirs.
 */
export function createValidationCodesPlugin(): Plugin<GraphQLContext> {
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError && !result.extensions.code) {
          replaceParseResult(withCode(result, GRAPHQL_PARSE_FAILED));
        }
      };
    },
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (valid) return;
        setResult(
          result.map((error) =>
            error.extensions.code ? error : withCode(error, GRAPHQL_VALIDATION_FAILED),
          ),
        );
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const coded = codeRequestErrors(result);
          if (coded) setResult(coded);
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const coded = codeRequestErrors(result);
          if (coded) setResult(coded);
        },
      };
    },
  };
}
