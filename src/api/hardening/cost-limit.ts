import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { GraphQLContext } from '../../schema/context.js';
import type { ServerContext } from '../server-context.js';
import { operationCost } from './query-cost.js';
import { QUERY_TOO_COMPLEX } from './query-limits.js';

/**
 * What counting found: the cost, why it could not be counted, or variables that do not coerce
 * (execution refuses those itself, with graphql-js's precise message, before any resolver runs).
 */
type Count = { cost: number } | { uncountable: string } | { invalidVariables: true };

/**
 * Counting walks the whole operation, every field and argument: a dashboard sends the same
 * document with the same variables again and again. Documents are the objects yoga's parser
 * cache hands out; variables longer than this are counted every time rather than kept as keys.
 */
const MEMO_KEY_CHARS = 2_048;
const MEMO_PER_DOCUMENT = 32;
const memo = new WeakMap<DocumentNode, LRUCache<string, Count>>();

function count(args: ExecutionArgs): Count | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  // No such operation: execution refuses it itself.
  if (!operation) return undefined;
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return { invalidVariables: true };
  try {
    const cost = operationCost({
      schema: args.schema,
      document: args.document,
      operationName: operation.name?.value,
      variables,
    });
    return { cost };
  } catch (error) {
    // Whatever stops the count (fragments expanding past the library's node limit) is refused
    // rather than run uncounted.
    return { uncountable: error instanceof Error ? error.message : String(error) };
  }
}

function memoizedCount(args: ExecutionArgs): Count | undefined {
  const key = `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}`;
  if (key.length > MEMO_KEY_CHARS) return count(args);
  let counts = memo.get(args.document);
  if (!counts) {
    counts = new LRUCache<string, Count>({ max: MEMO_PER_DOCUMENT });
    memo.set(args.document, counts);
  }
  const known = counts.get(key);
  if (known) return known;
  const counted = count(args);
  if (counted) counts.set(key, counted);
  return counted;
}

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
function costRefusal(args: ExecutionArgs, maxCost: number): GraphQLError | undefined {
  const counted = memoizedCount(args);
  if (!counted || 'invalidVariables' in counted) return undefined;
  if ('uncountable' in counted) {
    return tooCostly(`Query Cost limit of ${maxCost} exceeded: ${counted.uncountable}`, args);
  }
  if (counted.cost <= maxCost) return undefined;
  return tooCostly(`Query Cost limit of ${maxCost} exceeded, found ${counted.cost}.`, args);
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
