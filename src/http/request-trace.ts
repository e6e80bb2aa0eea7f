import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '../logger.js';
import { incomingContext, traceLogFields, tracer, tracingOn } from '../tracing/spans.js';

/**
 * Runs `dispatch` for one HTTP request inside a server span (when tracing is on), continuing the
 * caller's trace when the request carries a W3C `traceparent`, and writes the request's log line
 * (debug level: method, route, status, duration, and the span's `trace_id` and `span_id`) once
 * the response is done or the client went away. `route` is the bounded route label, never the
 * query string.
 */
export function traceRequest(
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  logger: Logger,
  dispatch: () => void,
) {
  const logged = logger.isLevelEnabled('debug');
  if (!tracingOn() && !logged) return dispatch();
  const started = performance.now();
  const method = req.method ?? 'GET';
  const parent = incomingContext(req.headers);
  const span = tracingOn()
    ? tracer.startSpan(
        `${method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': method, 'http.route': route },
        },
        parent,
      )
    : undefined;
  res.once('close', () => {
    const status = res.statusCode;
    const completed = res.writableFinished;
    if (logged) {
      logger.debug(
        {
          method,
          route,
          status,
          ...(completed ? {} : { aborted: true }),
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          ...(span ? traceLogFields(span) : {}),
        },
        'request',
      );
    }
    if (!span) return;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (!completed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'client went away' });
    span.end();
  });
  if (!span) return dispatch();
  context.with(trace.setSpan(parent, span), dispatch);
}
