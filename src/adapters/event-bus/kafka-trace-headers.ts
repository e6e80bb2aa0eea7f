import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  type SpanContext,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import { tracingOn } from '../../tracing/spans.js';

/** Reads kafkajs headers, whose values arrive as Buffers. */
const headerGetter: TextMapGetter<IHeaders> = {
  keys: (headers) => Object.keys(headers),
  get(headers, key) {
    const value = headers[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/**
 * The active trace context as message headers (W3C `traceparent`, and `tracestate` when there is
 * one), so the pipeline's batch span can link to the publish; undefined while tracing is off.
 */
export function traceHeaders(): Record<string, string> | undefined {
  if (!tracingOn()) return undefined;
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return Object.keys(headers).length > 0 ? headers : undefined;
}

/** The span context a message's headers carry, if any valid one. */
export function spanContextOf(headers: IHeaders | undefined): SpanContext | undefined {
  if (!headers) return undefined;
  const spanContext = trace.getSpanContext(
    propagation.extract(ROOT_CONTEXT, headers, headerGetter),
  );
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}
