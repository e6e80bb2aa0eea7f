import { getOperationAST, type DocumentNode, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../schema/context.js';

interface Compiled {
  schema: GraphQLSchema;
  query: CompiledQuery | undefined;
}

/**
 * Queries run on graphql-jit: a document is compiled to JavaScript once, then executed without
 * walking its AST field by field (yoga + JIT ran at twice the plain executor's rate:
 * docs/architecture.md, "Performance goals"; bench/graphql-page.ts).
 *
 * Only answers without errors are taken from the compiled query. graphql-jit's errors differ from
 * graphql-js's in what clients see (no `locations`, `data` before `errors`, other wording and a
 * 200 instead of a 400 for a bad variable), so any answer with an error is computed again by
 * graphql-js: queries only read, and the request's DataLoaders hand the second run what the
 * first one loaded. Also left to graphql-js: the first execution of a document (a stream of
 * distinct one-off documents costs no compilation), mutations, and subscriptions (executed per
 * event by the live fan-out).
 */
export function createQueryJitPlugin(): Plugin<GraphQLContext> {
  const executions = new WeakMap<DocumentNode, number>();
  const compiled = new WeakMap<DocumentNode, Map<string, Compiled>>();

  /** The compiled query, or undefined for what stays on graphql-js (decided once per operation). */
  function compiledFor(schema: GraphQLSchema, document: DocumentNode, operationName: string) {
    let byOperation = compiled.get(document);
    if (!byOperation) compiled.set(document, (byOperation = new Map()));
    let entry = byOperation.get(operationName);
    if (entry?.schema !== schema) {
      const name = operationName || undefined;
      const isQuery = getOperationAST(document, name)?.operation === 'query';
      const result = isQuery ? compileQuery(schema, document, name) : undefined;
      entry = { schema, query: result && isCompiledQuery(result) ? result : undefined };
      byOperation.set(operationName, entry);
    }
    return entry.query;
  }

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const seen = (executions.get(args.document) ?? 0) + 1;
      if (seen <= 2) executions.set(args.document, seen);
      if (seen < 2) return;
      const query = compiledFor(args.schema, args.document, args.operationName ?? '');
      if (!query) return;
      setExecuteFn(async (execution) => {
        const result = await query.query(
          execution.rootValue,
          execution.contextValue,
          execution.variableValues,
        );
        if (!('errors' in result) || !result.errors?.length) return result;
        return executeFn(execution);
      });
    },
  };
}
