import {
  createCounter,
  createHistogram,
  usePrometheus,
  type FillLabelsFnParams,
} from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { LATENCY_BUCKETS, metricsRegistry } from './registry.js';

/** Operation names get a label value each, up to this many per process; later ones are `other`. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const seenOperationNames = new Set<string>();

/**
 * Operation names are chosen by clients: a well-behaved app has a few dozen, but a client that
 * names every request differently must not grow the metrics without bound, so names past the
 * first MAX_OPERATION_NAMES (and names that are not plain GraphQL names) share `other`.
 */
export function operationNameLabel(name: string | undefined): string {
  if (!name) return 'Anonymous';
  if (seenOperationNames.has(name)) return name;
  if (!OPERATION_NAME.test(name) || seenOperationNames.size >= MAX_OPERATION_NAMES) return 'other';
  seenOperationNames.add(name);
  return name;
}

const operationLabels = (params: FillLabelsFnParams) => ({
  operationName: operationNameLabel(params.operationName),
  operationType: params.operationType ?? 'unknown',
});

/**
 * yoga's Prometheus plugin, with only the series an operator reads (operations, their latency,
 * their errors by `extensions.code`, HTTP latency) and every label bounded: operation names as
 * above, no error path (it holds list indices), no URL (it holds query strings). The per-phase
 * histograms are off: they cost each operation several observations for what
 * `graphql_envelop_request_duration` already tells.
 */
export function createGraphQLMetricsPlugin(): Plugin {
  const registry = metricsRegistry;
  return usePrometheus({
    registry,
    endpoint: false,
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_request',
          help: 'GraphQL operations executed or subscribed, by operation name and type',
          labelNames: ['operationName', 'operationType'],
        },
        fillLabelsFn: operationLabels,
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_envelop_request_duration',
          help: 'Time to execute a GraphQL operation (or to start a subscription), in seconds',
          labelNames: ['operationName', 'operationType'],
          buckets: LATENCY_BUCKETS,
        },
        fillLabelsFn: operationLabels,
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'GraphQL errors, by operation, phase and extensions.code',
          labelNames: ['operationName', 'operationType', 'phase', 'code'],
        },
        fillLabelsFn: (params) => ({
          ...operationLabels(params),
          phase: params.errorPhase ?? 'unknown',
          code: errorCode(params.error?.extensions?.code),
        }),
      }),
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_yoga_http_duration',
          help: 'Time to answer a GraphQL request over HTTP, in seconds',
          labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
          buckets: LATENCY_BUCKETS,
        },
        fillLabelsFn: (params, { request, response }) => ({
          ...operationLabels(params),
          method: request.method === 'GET' || request.method === 'POST' ? request.method : 'other',
          statusCode: response.status,
        }),
      }),
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
    },
  });
}

/** The product's codes are a fixed set (README "Errors"); anything else is not trusted as a label. */
function errorCode(code: unknown): string {
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,39}$/.test(code) ? code : 'INTERNAL';
}
