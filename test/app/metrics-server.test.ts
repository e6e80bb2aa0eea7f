/**
 * The metrics listener on its own: `/metrics` only, GET and HEAD, the bearer token when set; a
 * taken port stops a production process and only turns metrics off in the embedded app.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMetricsServer, serveMetrics } from '../../src/metrics/metrics-server.js';

const logger = createLogger('silent', 'test');
const TOKEN = 'a-metrics-token-of-some-length';

describe('metrics server', () => {
  const server = createMetricsServer({ token: TOKEN, logger });
  let base: string;

  beforeAll(async () => {
    const address = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => server.close());

  const authorized = { authorization: `Bearer ${TOKEN}` };

  it('serves the Prometheus text format to the bearer of the token', async () => {
    const response = await fetch(`${base}/metrics`, { headers: authorized });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toMatch(/^# HELP process_cpu_seconds_total /m);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('refuses a missing or wrong token with 401 and says how to authenticate', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: TOKEN },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${base}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    }
  });

  it('answers HEAD without a body, other methods with 405, other paths with 404', async () => {
    const head = await fetch(`${base}/metrics`, { method: 'HEAD', headers: authorized });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/metrics`, { method: 'POST', headers: authorized });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/graphql`, { headers: authorized })).status).toBe(404);
  });
});

describe('serveMetrics', () => {
  const settings = (api: number | null) => ({
    host: '127.0.0.1',
    ports: { api, ingest: null, pipeline: null },
    token: undefined,
  });
  let taken: net.Server;
  let takenPort: number;

  beforeAll(async () => {
    taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('serves nothing when the port is off', async () => {
    const endpoint = await serveMetrics({
      settings: settings(null),
      role: 'api',
      host: '127.0.0.1',
      required: true,
      logger,
    });
    expect(endpoint.port).toBeNull();
  });

  it('fails a production start on a taken port', async () => {
    await expect(
      serveMetrics({
        settings: settings(takenPort),
        role: 'api',
        host: '127.0.0.1',
        required: true,
        logger,
      }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('lets the embedded app start without metrics on a taken port', async () => {
    const endpoint = await serveMetrics({
      settings: settings(takenPort),
      role: 'api',
      host: '127.0.0.1',
      required: false,
      logger,
    });
    expect(endpoint.port).toBeNull();
    await endpoint.close();
  });
});
