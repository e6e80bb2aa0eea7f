/**
 * Arbitrary values for any GraphQL input type, read from the type itself: non-null wrappers,
 * lists (empty, one value for a list, huge), enums, input objects (fields left out or made up)
 * and every scalar of the schema. A scalar without a generator fails the run: a new one needs
 * values of its own.
 */
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLInputType,
} from 'graphql';
import fc from 'fast-check';
import { oddString } from './odd-strings.js';
import type { RealValues } from './graphql-fixtures.js';
import {
  anyBoolean,
  anyValue,
  dateTimeValue,
  floatValue,
  intValue,
  metricValue,
  tameDateTime,
  tameFloatFor,
  tameInt,
  tameMetricValue,
} from './graphql-scalars.js';
import { idValue, stringFor } from './graphql-strings.js';
import {
  enumValue,
  listValue,
  nullValue,
  objectValue,
  stringValue,
  type InputValue,
  type Temper,
} from './graphql-values.js';

/** Values for an argument or input field of `type` named `name`, `depth` inputs deep. */
type ValuesFor = (type: GraphQLInputType, name: string, depth: number) => fc.Arbitrary<InputValue>;

/** Values made as `temper` says, with the ids and cursors of `real` among them. */
export function inputValues(temper: Temper, real: RealValues): ValuesFor {
  const wild = temper === 'wild';

  /** Values as the type admits them, or (wild) anything now and then. */
  function valuesFor(
    type: GraphQLInputType,
    name: string,
    depth: number,
    nullAllowed = true,
  ): fc.Arbitrary<InputValue> {
    const ofType = valuesOfType(type, name, depth, nullAllowed);
    if (!wild) return ofType;
    return fc.oneof({ weight: 30, arbitrary: ofType }, { weight: 1, arbitrary: anyValue });
  }

  /** `nullAllowed`: false below a non-null type, where (wild) null comes only now and then. */
  function valuesOfType(
    type: GraphQLInputType,
    name: string,
    depth: number,
    nullAllowed: boolean,
  ): fc.Arbitrary<InputValue> {
    if (isNonNullType(type)) {
      const inner = valuesFor(type.ofType, name, depth, false);
      if (!wild) return inner;
      return fc.oneof(
        { weight: 40, arbitrary: inner },
        { weight: 1, arbitrary: fc.constant(nullValue) },
      );
    }
    const orNull = (arbitrary: fc.Arbitrary<InputValue>) =>
      nullAllowed
        ? fc.oneof({ weight: 8, arbitrary }, { weight: 1, arbitrary: fc.constant(nullValue) })
        : arbitrary;
    if (isListType(type)) {
      const item = valuesFor(type.ofType as GraphQLInputType, name, depth + 1);
      return orNull(
        fc
          .oneof(
            { weight: 6, arbitrary: fc.array(item, { maxLength: 4 }) },
            { weight: 1, arbitrary: fc.constant([] as InputValue[]) },
            // A single value where a list is expected (input coercion makes a list of it).
            { weight: 1, arbitrary: item.map((value) => [value]) },
            {
              // Huge: around the limits of the resolvers (100 ids, metrics) and beyond.
              weight: 1,
              arbitrary: fc
                .tuple(item, fc.constantFrom(50, 100, 101, 1_000, 3_000))
                .map(([value, count]) => Array.from({ length: count }, () => value)),
            },
          )
          .map(listValue),
      );
    }
    if (isEnumType(type)) {
      const names = type.getValues().map((value) => value.name);
      const valid = fc.constantFrom(...names);
      return orNull(
        (wild
          ? fc.oneof(
              { weight: 6, arbitrary: valid },
              {
                weight: 1,
                arbitrary: fc.constantFrom(
                  ...names.map((value) => value.toLowerCase()),
                  'NOPE',
                  '',
                  'null',
                  'ÉNUM',
                ),
              },
              { weight: 1, arbitrary: oddString },
            )
          : valid
        ).map(enumValue),
      );
    }
    if (isInputObjectType(type)) {
      if (depth > 4) return fc.constant(nullValue);
      const fields = Object.values(type.getFields()).map((field) => {
        const required = isNonNullType(field.type);
        const value = valuesFor(field.type, field.name, depth + 1);
        const omitted = fc.constant(undefined);
        return fc
          .tuple(
            fc.constant(field.name),
            required && !wild
              ? value
              : fc.oneof(
                  { weight: required ? 40 : 3, arbitrary: value },
                  { weight: 1, arbitrary: omitted },
                ),
          )
          .map(([fieldName, present]) =>
            present === undefined ? [] : [[fieldName, present] as [string, InputValue]],
          );
      });
      const madeUp = fc.oneof(
        { weight: 15, arbitrary: fc.constant([] as [string, InputValue][]) },
        {
          weight: wild ? 1 : 0,
          arbitrary: fc
            .tuple(
              fc.constantFrom('extra', 'id', 'orgId', '__typename', 'organizationId'),
              anyValue,
            )
            .map(([fieldName, value]) => [[fieldName, value] as [string, InputValue]]),
        },
      );
      return orNull(
        fc
          .tuple(fc.tuple(...fields), madeUp)
          .map(([present, more]) => objectValue([...present.flat(), ...more])),
      );
    }
    switch (getNamedType(type).name) {
      case 'Int':
        return orNull(wild ? intValue : tameInt);
      case 'Float':
        return orNull(wild ? floatValue : tameFloatFor(name));
      case 'Boolean':
        return orNull(anyBoolean);
      case 'ID':
        return orNull(idValue(temper, [...real.deviceIds, ...real.ruleIds, ...real.apiKeyIds]));
      case 'DateTime':
        return orNull(wild ? dateTimeValue : tameDateTime);
      case 'MetricValue':
        return wild ? metricValue : tameMetricValue;
      case 'String':
        return orNull(stringFor(name, temper, real.cursors).map(stringValue));
      default:
        throw new Error(`no generator for the input type ${String(type)}: add one`);
    }
  }

  return valuesFor;
}
