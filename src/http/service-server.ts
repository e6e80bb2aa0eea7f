import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import { timeHttpRequest } from '../metrics/http-metrics.js';
import { compressResponses } from './compression.js';
import { runReadinessChecks, type ReadinessCheck } from './readiness.js';
import { listenOn } from './listen.js';
import { traceRequest } from './request-trace.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ServiceServerOptions {
  /** Exact paths routed to a handler; anything else goes to `fallback` or gets a JSON 404. */
  routes: Record<string, RequestHandler>;
  fallback?: RequestHandler;
  readiness: readonly ReadinessCheck[];
  logger: Logger;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/**
 * The HTTP server every process runs: its own routes plus `/health` (liveness: the process
 * answers) and `/ready` (readiness: every dependency answers), which are neither traced nor
 * logged (probes would drown the rest); every other request is (request-trace.ts). `close()` stops accepting, lets
 * in-flight requests finish within the deadline, then drops what is left.
 */
export function createServiceServer(options: ServiceServerOptions) {
  const { routes, fallback, readiness, logger } = options;
  let closing = false;
  // JSON and HTML answers go out compressed to clients that accept it (compression.ts).
  const server: Server = createServer(compressResponses(handle));
  function handle(req: IncomingMessage, res: ServerResponse) {
    // While shutting down, keep-alive connections are released as soon as their response is
    // done, so close() does not wait for clients to hang up.
    if (closing) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = routes[path];
    const label = routeLabel(path, route !== undefined);
    const timed = timeHttpRequest(req.method);
    res.once('finish', () => {
      timed(label, res.statusCode);
      if (closing) server.closeIdleConnections();
    });
    if (route) return traceRequest(req, res, label, logger, () => route(req, res));
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') {
      runReadinessChecks(readiness).then(
        (result) => sendJson(res, result.ready ? 200 : 503, result),
        (error: unknown) => {
          logger.error({ err: error }, 'readiness check crashed');
          sendJson(res, 500, { ready: false });
        },
      );
      return;
    }
    if (fallback) return traceRequest(req, res, label, logger, () => fallback(req, res));
    sendJson(res, 404, { code: 'NOT_FOUND', message: `no route for ${path}` });
  }
  /** The route a request was given to, as a bounded label (http_request_duration_seconds). */
  function routeLabel(path: string, routed: boolean): string {
    if (routed || path === '/health' || path === '/ready') return path;
    if (!fallback) return 'not_found';
    return path === '/graphql' ? path : 'other';
  }
  // Slowloris guard: a client must send its headers and body within these limits.
  server.headersTimeout = 15_000;
  server.requestTimeout = 60_000;

  return {
    server,
    listen(port: number, host: string): Promise<AddressInfo> {
      return listenOn(server, port, host);
    },
    close(deadlineMs: number): Promise<void> {
      closing = true;
      return new Promise((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), deadlineMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
