import { valueFromASTUntyped } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import type { MetricValue } from '../domain/telemetry.js';
import { badUserInput } from '../resolvers/errors.js';
import { builder } from './builder.js';

builder.addScalarType('DateTime', DateTimeResolver);

function asMetricValue(value: unknown): MetricValue {
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  // A GraphQLError with a code, not a TypeError: graphql-js wraps it into the error naming the
  // variable, and yoga masks wrapped errors that are not GraphQL errors as internal ones.
  throw badUserInput('MetricValue must be a finite number, a boolean or a string');
}

builder.scalarType('MetricValue', {
  description: 'A metric value as the device sent it: a number, a boolean or a string.',
  serialize: asMetricValue,
  parseValue: asMetricValue,
  // A literal of the wrong shape is a validation error with its location, as for any scalar.
  parseLiteral(node) {
    const value = valueFromASTUntyped(node);
    if (typeof value === 'boolean' || typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    throw new TypeError('MetricValue must be a finite number, a boolean or a string');
  },
});
