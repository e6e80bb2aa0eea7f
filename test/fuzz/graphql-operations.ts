/**
 * Arbitrary operations on a target field: a third wild, half tame, a sixth tame but for one
 * string made NUL or a lone surrogate (graphql-values.ts says what wild and tame mean); and what
 * in an operation could explain the server failing on it.
 */
import { isRequiredArgument, type GraphQLArgument } from 'graphql';
import fc from 'fast-check';
import { printedAs } from './fuzz-support.js';
import { unstorableKinds } from './odd-strings.js';
import { visible } from './string-escapes.js';
import { documentFor, type Operation } from './graphql-documents.js';
import type { RealValues } from './graphql-fixtures.js';
import { inputValues } from './graphql-inputs.js';
import { unstorableString } from './graphql-strings.js';
import type { Target } from './graphql-targets.js';
import {
  replaceLeaf,
  stringLeaves,
  type InputValue,
  type LiteralStyle,
  type Temper,
} from './graphql-values.js';

export function operationArbitrary(target: Target, real: RealValues): fc.Arbitrary<Operation> {
  const argsOf = (temper: Temper) => {
    const valuesFor = inputValues(temper, real);
    return fc.tuple(
      ...target.field.args.map((arg) => {
        const value = valuesFor(arg.type, arg.name, 0);
        const omitted = fc.constant(undefined);
        const required = isRequiredArgument(arg);
        return (
          required && temper === 'tame'
            ? value
            : fc.oneof(
                { weight: required ? 30 : 1, arbitrary: value },
                // A tame operation leaves out more of its optional arguments (first and last,
                // after and before together are refused by the resolvers).
                { weight: temper === 'tame' ? 2 : 1, arbitrary: omitted },
              )
        ).map((present) =>
          present === undefined ? [] : [[arg, present] as [GraphQLArgument, InputValue]],
        );
      }),
    );
  };
  // A tame operation with one of its strings made unstorable: NUL or a lone surrogate.
  const poisoned = fc
    .tuple(argsOf('tame'), fc.nat(), unstorableString)
    .map(([present, at, bad]) => {
      const leaves = present.flat().reduce((count, [, value]) => count + stringLeaves(value), 0);
      if (leaves === 0) return present;
      let index = at % leaves;
      return present.map((list) =>
        list.map(([arg, value]): [GraphQLArgument, InputValue] => {
          const count = stringLeaves(value);
          const replaced = index >= 0 && index < count ? replaceLeaf(value, index, bad) : value;
          index -= count;
          return [arg, replaced];
        }),
      );
    });
  const args = fc.oneof(
    { weight: 2, arbitrary: argsOf('wild') },
    { weight: 3, arbitrary: argsOf('tame') },
    { weight: 1, arbitrary: poisoned },
  );
  return fc
    .tuple(args, fc.constantFrom<LiteralStyle>('print', 'print', 'escaped', 'block'))
    .map(([present, style]) =>
      // A counterexample shows both documents, escapes visible.
      printedAs({ args: present.flat(), style }, (operation) => {
        const variables = documentFor(target, operation, 'variables');
        const inline = documentFor(target, operation, 'inline');
        return `${target.name}\n  variables: ${visible(variables.query, 2_000)}\n  with ${visible(variables.variables, 2_000)}\n  inline: ${visible(inline.query, 2_000)}`;
      }),
    );
}

/**
 * What in an operation could explain a masked error: the unstorable characters among its
 * strings, a list or an object given as a MetricValue, a number that is not finite (1e400) or
 * about the largest double. It tells the classes of INTERNAL_SERVER_ERROR apart, whose message
 * says nothing.
 */
export function hintOf(operation: Operation): string {
  const found = new Set<string>();
  const walk = (value: InputValue, name: string) => {
    if (value.kind === 'string') {
      for (const kind of unstorableKinds(value.value)) found.add(kind);
    }
    // MetricValue inputs: `threshold` of the alert-rule inputs.
    if (name === 'threshold' && (value.kind === 'list' || value.kind === 'object')) {
      found.add(`a MetricValue ${value.kind}`);
    }
    if (value.kind === 'number') {
      const number = Number(value.text);
      if (!Number.isFinite(number)) found.add(`${name}: ${value.text} (not finite)`);
      else if (Math.abs(number) > 1.7976931348623e308) {
        found.add(`${name}: ${value.text} (about the largest double)`);
      }
    }
    if (value.kind === 'list') value.items.forEach((item) => walk(item, name));
    if (value.kind === 'object') value.fields.forEach(([field, inner]) => walk(inner, field));
  };
  operation.args.forEach(([arg, value]) => walk(value, arg.name));
  return found.size > 0 ? [...found].sort().join(', ') : 'nothing odd found';
}
