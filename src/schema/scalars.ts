import { DateTimeResolver } from 'graphql-scalars';
import type { MetricValue } from '../domain/telemetry.js';
import { builder } from './builder.js';

builder.addScalarType('DateTime', DateTimeResolver);

function asMetricValue(value: unknown): MetricValue {
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new TypeError('MetricValue must be a finite number, a boolean or a string');
}

builder.scalarType('MetricValue', {
  description: 'A metric value as the device sent it: a number, a boolean or a string.',
  serialize: asMetricValue,
  parseValue: asMetricValue,
});
