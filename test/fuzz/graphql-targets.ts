/**
 * The fields the GraphQL fuzzer targets, read from the schema: every root field of Query,
 * Mutation and Subscription, and every field with arguments below them (Device.telemetry,
 * Device.rawTelemetry, Fleet.top...), each reached through a root field that leads to it.
 */
import { isObjectType, type GraphQLField } from 'graphql';
import { schema } from '../../src/schema/index.js';
import type { RealValues } from './graphql-fixtures.js';

/** A field to fuzz: its arguments, and where it sits in a document. */
export interface Target {
  /** `Query.devices`, `Device.telemetry`. */
  name: string;
  operation: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
  /** Wraps the field's selection for fields below the root (`device(id: …) { … }`). */
  wrap?: (inner: string) => string;
}

const ROOTS = [
  ['query', schema.getQueryType()],
  ['mutation', schema.getMutationType()],
  ['subscription', schema.getSubscriptionType()],
] as const;

export const rootTargets: Target[] = ROOTS.flatMap(([operation, type]) =>
  type
    ? Object.values(type.getFields()).map((field): Target => ({
        name: `${type.name}.${field.name}`,
        operation,
        field,
      }))
    : [],
);

/**
 * The fields with arguments below the roots. They are listed when the tests are collected, and
 * wrapped only while they run: the device they are reached through is one of `real`'s.
 */
export function nestedTargets(real: RealValues): Target[] {
  const wrappers: Record<string, (inner: string) => string> = {
    Device: (inner) => `device(id: "${real.deviceIds[0]}") { ${inner} }`,
    Fleet: (inner) => `fleet { ${inner} }`,
  };
  const rootTypes = new Set(ROOTS.map(([, type]) => type?.name));
  return Object.values(schema.getTypeMap()).flatMap((type) =>
    isObjectType(type) && !rootTypes.has(type.name) && !type.name.startsWith('__')
      ? Object.values(type.getFields())
          .filter((field) => field.args.length > 0)
          .map((field): Target => ({
            name: `${type.name}.${field.name}`,
            operation: 'query',
            field,
            wrap: (inner) => {
              const wrap = wrappers[type.name];
              if (!wrap) {
                throw new Error(`no root field leads to ${type.name}.${field.name}: add one`);
              }
              return wrap(inner);
            },
          }))
      : [],
  );
}
