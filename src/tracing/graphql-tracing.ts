import { trace } from '@opentelemetry/api';
import { useOnResolve, type Resolver } from '@envelop/on-resolve';
import type { GraphQLField } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { failSpan, tracer, tracingOn } from './spans.js';

/**
 * GraphQL spans on the api while tracing is on: one per operation (@envelop/opentelemetry, a
 * child of the HTTP request's span), and below it one per resolver that waits, that is, returns a
 * promise (a repository read, a DataLoader, the telemetry store): a page of 50 devices has
 * hundreds of field resolutions, nearly all synchronous conversions that would bury the few that
 * cost time. The span is opened when the promise is seen, with the time the resolver was called.
 *
 * The operation span records the document only when it has no inline argument values (the
 * plugin's rule), never variables or results: arguments carry secrets (a PagerDuty routing key,
 * a webhook URL). Resolver spans are this file's own rather than the plugin's `resolvers` option,
 * which records every resolver's arguments and leaves a failed resolver's span open; these name
 * the field and its path only. Subscriptions get their operation span but no resolver spans: the
 * live fan-out resolves each event for every subscriber.
 */
export function createGraphQLTracingPlugins(): Plugin[] {
  if (!tracingOn() || !envelopOpenTelemetry) return [];
  const { useOpenTelemetry } = envelopOpenTelemetry;
  const timed = new WeakSet<GraphQLField<unknown, unknown>>();
  return [
    useOpenTelemetry(
      { resolvers: false, variables: false, result: false },
      trace.getTracerProvider(),
    ) as Plugin,
    // replaceResolver swaps the field's resolver for good (not for one call): each field is
    // given its timed resolver once, on its first resolution.
    useOnResolve(
      ({ info, resolver, replaceResolver }) => {
        const field = info.parentType.getFields()[info.fieldName]!;
        if (timed.has(field)) return;
        timed.add(field);
        replaceResolver(spanWhenWaiting(resolver));
      },
      { skipDefaultResolvers: true, skipIntrospection: true },
    ) as Plugin,
  ];
}

let envelopOpenTelemetry: typeof import('@envelop/opentelemetry') | undefined;

/** Loads the operation-span plugin; startTracing does, so a process without traces never does. */
export async function loadGraphQLTracing(): Promise<void> {
  envelopOpenTelemetry ??= await import('@envelop/opentelemetry');
}

/** `resolver`, with a span around each call that returns a promise. */
function spanWhenWaiting<Context>(resolver: Resolver<Context>): Resolver<Context> {
  return function timedResolver(...call: Parameters<Resolver<Context>>): unknown {
    const [, , context, info] = call;
    const startTime = performance.timeOrigin + performance.now();
    const result: unknown = resolver(...call);
    if (!(result instanceof Promise) || info.operation.operation === 'subscription') return result;
    const span = tracer.startSpan(
      `${info.parentType.name}.${info.fieldName}`,
      {
        startTime,
        attributes: {
          'graphql.field.name': info.fieldName,
          'graphql.field.type': info.parentType.name,
          'graphql.field.path': pathOf(info.path),
        },
      },
      envelopOpenTelemetry!.getCurrentOtelContext(context),
    );
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        failSpan(span, error);
        span.end();
        throw error;
      },
    );
  };
}

/** `devices.edges.0.node.latest`: where in the answer the field is. */
function pathOf(path: { prev: unknown; key: string | number } | undefined): string {
  const keys: (string | number)[] = [];
  for (let at = path; at; at = at.prev as typeof path) keys.unshift(at.key);
  return keys.join('.');
}
