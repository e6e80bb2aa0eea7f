import { Histogram } from 'prom-client';
import { LATENCY_BUCKETS } from './registry.js';

const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests served, by route, method and status code: from the request to the last byte of the answer',
  labelNames: ['route', 'method', 'status_code'] as const,
  buckets: LATENCY_BUCKETS,
});

/** Methods a client may send as they are; anything else is one label value, not one each. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Starts timing a request; call the result with the route it was given to (a fixed path, never
 * the request's own path: `/graphql?…` or a scanner's `/wp-admin` must not grow a label each)
 * and the status code, once the answer is sent.
 */
export function timeHttpRequest(method: string | undefined) {
  const end = httpRequestDuration.startTimer();
  const methodLabel = method && KNOWN_METHODS.has(method) ? method : 'other';
  return (route: string, statusCode: number) =>
    end({ route, method: methodLabel, status_code: String(statusCode) });
}
