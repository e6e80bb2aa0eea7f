/**
 * The GraphQL documents the fuzzer sends: a target field called with an operation's arguments,
 * either as variables (declared, and sent as JSON) or written inline as literals, and a
 * selection of the field's result deep enough for its resolvers to run.
 */
import {
  getNamedType,
  isLeafType,
  isObjectType,
  isRequiredArgument,
  type GraphQLArgument,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import type { Target } from './graphql-targets.js';
import { asJson, asLiteral, type InputValue, type LiteralStyle } from './graphql-values.js';

/** How the arguments are given: as variables, or inline as literals. */
export type Mode = 'variables' | 'inline';

/** A call of a target: the arguments given (the others are left out). */
export interface Operation {
  args: [GraphQLArgument, InputValue][];
  style: LiteralStyle;
}

/** Leaf fields, and object fields down to `depth`, leaving out fields that need arguments. */
function selectionFor(type: GraphQLNamedType, depth: number): string {
  if (isLeafType(type)) return '';
  const object = type as GraphQLObjectType;
  const fields = Object.values(object.getFields()).flatMap((field) => {
    if (field.args.some(isRequiredArgument)) return [];
    const named = getNamedType(field.type);
    if (isLeafType(named)) return [field.name];
    if (depth <= 0 || !isObjectType(named)) return [];
    return [`${field.name} { ${selectionFor(named, depth - 1)} }`];
  });
  return ['__typename', ...fields].join(' ');
}

/** The document, and its variables as JSON text ('{}' inline). */
export function documentFor(
  target: Target,
  operation: Operation,
  mode: Mode,
): {
  query: string;
  variables: string;
} {
  const named = getNamedType(target.field.type);
  const selection = isLeafType(named) ? '' : ` { ${selectionFor(named, 3)} }`;
  const args = operation.args.map(([arg, value]) =>
    mode === 'variables'
      ? `${arg.name}: $${arg.name}`
      : `${arg.name}: ${asLiteral(value, operation.style)}`,
  );
  const call = `${target.field.name}${args.length > 0 ? `(${args.join(', ')})` : ''}${selection}`;
  const body = target.wrap ? target.wrap(call) : call;
  const declarations =
    mode === 'variables' && operation.args.length > 0
      ? `(${operation.args.map(([arg]) => `$${arg.name}: ${String(arg.type)}`).join(', ')})`
      : '';
  const variables =
    mode === 'variables'
      ? `{${operation.args.map(([arg, value]) => `${JSON.stringify(arg.name)}:${asJson(value)}`).join(',')}}`
      : '{}';
  return { query: `${target.operation} Fuzz${declarations} { ${body} }`, variables };
}
