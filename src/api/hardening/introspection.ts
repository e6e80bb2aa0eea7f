import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../../schema/context.js';

/**
 * Refuses `__schema` and `__type` in every operation. Not @graphql-yoga/plugin-disable-introspection:
 * that plugin decides per HTTP request (onRequestParse) and then looks the request up in
 * onValidate, so operations over our graphql-ws server (yoga.getEnveloped, no HTTP request)
 * were never refused. Our decision is static config, so the rule is simply always added.
 */
export function createDisableIntrospectionPlugin(): Plugin<GraphQLContext> {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
