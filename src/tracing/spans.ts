import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  isSpanContextValid,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';

/**
 * The product's spans, through the OpenTelemetry API. Until tracing is started
 * (start-tracing.ts) the API's tracer is a no-op; `tracingOn()` lets the hot paths skip even the
 * work of building spans (parsing a traceparent, collecting links) when it is off.
 */
const TRACER_NAME = 'iot-analytics';
export let tracer = trace.getTracer(TRACER_NAME);

let on = false;
/** What `inSpan` hands its work while tracing is off: records nothing. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export function tracingOn(): boolean {
  return on;
}

/**
 * Called by startTracing once the SDK is registered, and by its shutdown. The tracer is asked
 * for again: the one from before a shutdown belongs to the API's previous provider.
 */
export function setTracingOn(value: boolean) {
  on = value;
  tracer = trace.getTracer(TRACER_NAME);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** Parent context; default: the active one. */
  parent?: Context;
}

/**
 * Runs `work` in a new active span, which ends when `work` settles: a throw records the
 * exception and marks the span as failed, and is rethrown.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!on) return work(NO_SPAN);
  const { parent = context.active(), ...spanOptions } = options;
  const span = tracer.startSpan(name, spanOptions, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

export function failSpan(span: Span, error: unknown) {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * The trace a caller continues: its W3C `traceparent` (HTTP headers, MQTT 5 user properties), or
 * a new trace. Read only while tracing is on.
 */
export function incomingContext(carrier: Record<string, unknown> | undefined): Context {
  return on && carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** The active span's context, if a real (sampled or not) span is active. */
export function activeSpanContext(): SpanContext | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** One link per distinct span context (many messages of one publish share theirs). */
function distinctLinks(contexts: Iterable<SpanContext | undefined>): Link[] {
  const seen = new Map<string, Link>();
  for (const spanContext of contexts) {
    if (spanContext)
      seen.set(`${spanContext.traceId}/${spanContext.spanId}`, { context: spanContext });
  }
  return [...seen.values()];
}

/**
 * Runs a bus consumer's `work` on one batch in a span of its own trace, linked to the publish
 * span of everything the batch carries (`origins`, read only while tracing is on): a batch joins
 * many ingest requests, so links, not a parent, say where it came from. The pipeline's stages
 * (store write, alert evaluation) become its children.
 */
export function inBatchSpan<T>(
  name: string,
  attributes: Attributes,
  origins: () => Iterable<SpanContext | undefined>,
  work: () => Promise<T>,
): Promise<T> {
  if (!on) return work();
  const links = distinctLinks(origins());
  return inSpan(name, { kind: SpanKind.CONSUMER, parent: ROOT_CONTEXT, links, attributes }, work);
}

/** `trace_id` and `span_id` for a log line (empty when no span is active). */
export function traceLogFields(span?: Span): { trace_id?: string; span_id?: string } {
  const spanContext = span ? span.spanContext() : activeSpanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
