import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsSettings } from '../config/metrics.js';
import type { Logger } from '../logger.js';
import { collectProcessMetrics, metricsRegistry } from './registry.js';
import { listenerOffReason, listenOn } from '../http/listen.js';

/** Compares in constant time, so the token cannot be guessed a byte at a time. */
function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /metrics` (Prometheus text format) on a port of its own, apart from the process's public
 * one (src/config/metrics.ts); with a token, only for `Authorization: Bearer <token>`.
 */
export function createMetricsServer(options: { token: string | undefined; logger: Logger }) {
  const { token, logger } = options;
  collectProcessMetrics();

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') {
      res.writeHead(404).end('not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const authorization = req.headers.authorization ?? '';
    if (token && !sameToken(authorization, `Bearer ${token}`)) {
      res
        .writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"' })
        .end('a bearer token is required (METRICS_TOKEN)\n');
      return;
    }
    const body = await metricsRegistry.metrics();
    res.writeHead(200, { 'content-type': metricsRegistry.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'collecting metrics failed');
      if (!res.headersSent) res.writeHead(500).end('collecting metrics failed\n');
      else res.destroy();
    });
  });

  return {
    listen(port: number, host: string): Promise<AddressInfo> {
      return listenOn(server, port, host);
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    listening: () => server.listening,
  };
}

export interface MetricsEndpoint {
  /** The port `/metrics` is served on; null when off (or, embedded, when it could not open). */
  port: number | null;
  close(): Promise<void>;
}

/**
 * Opens the process's metrics port. Production fails to start rather than run unobserved on a
 * port it was told to use; the embedded app starts without metrics and says why (a second local
 * instance, say, already has the port).
 */
export async function serveMetrics(options: {
  settings: MetricsSettings;
  role: keyof MetricsSettings['ports'];
  host: string;
  required: boolean;
  logger: Logger;
}): Promise<MetricsEndpoint> {
  const { settings, role, logger } = options;
  const port = settings.ports[role];
  if (port === null) return { port: null, close: async () => undefined };
  const server = createMetricsServer({ token: settings.token, logger });
  try {
    const address = await server.listen(port, settings.host ?? options.host);
    logger.info({ metrics: address.port }, 'metrics listening');
    return { port: address.port, close: () => server.close() };
  } catch (error) {
    if (options.required) throw error;
    logger.warn({ err: error }, listenerOffReason('metrics are off', 'METRICS_PORT', port, error));
    await server.close();
    return { port: null, close: async () => undefined };
  }
}
