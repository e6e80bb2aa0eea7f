import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.js';
import type { ServerContext } from '../graphql.js';
import { operationCost } from './query-cost.js';
import { QUERY_TOO_COMPLEX } from './query-limits.js';

function tooCostly(message: string, args: ExecutionArgs): GraphQLError {
  const overHttp = (args.contextValue as ServerContext | undefined)?.websocket !== true;
  return new GraphQLError(message, {
    extensions: {
      code: QUERY_TOO_COMPLEX,
      // The status yoga gives the other limits (validation errors): 400 when the client accepts
      // application/graphql-response+json, 200 for plain application/json. Not over graphql-ws.
      ...(overHttp ? { http: { spec: true, status: 400 } } : {}),
    },
  });
}

/** The refusal for an operation over `maxCost`, or undefined to let it run. */
export function costRefusal(args: ExecutionArgs, maxCost: number): GraphQLError | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  // No such operation, or variables that do not coerce: execution refuses them itself, with
  // graphql-js's precise message, before any resolver runs.
  if (!operation) return undefined;
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return undefined;
  let cost: number;
  try {
    cost = operationCost({
      schema: args.schema,
      document: args.document,
      operationName: operation.name?.value,
      variables,
    });
  } catch (error) {
    // Whatever stops the count (fragments expanding past the library's node limit): refused
    // rather than run uncounted.
    const reason = error instanceof Error ? error.message : String(error);
    return tooCostly(`Query Cost limit of ${maxCost} exceeded: ${reason}`, args);
  }
  if (cost <= maxCost) return undefined;
  return tooCostly(`Query Cost limit of ${maxCost} exceeded, found ${cost}.`, args);
}

/**
 * GRAPHQL_MAX_COST, counted with the operation's variables (query-cost.ts). It runs when the
 * operation is about to execute or subscribe, over HTTP (yoga) and graphql-ws (yoga.getEnveloped)
 * alike, before any resolver and before the rate limiter charges it. Not a validation rule like
 * the other limits: yoga caches validation results per document, and the same document costs
 * what its variables make it cost.
 */
export function createCostLimitPlugin(maxCost: number): Plugin<GraphQLContext> {
  const check = (args: ExecutionArgs, stop: (result: ExecutionResult) => void) => {
    const refusal = costRefusal(args, maxCost);
    if (refusal) stop({ errors: [refusal] });
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      check(args, setResultAndStopExecution);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      check(args, setResultAndStopExecution);
    },
  };
}
