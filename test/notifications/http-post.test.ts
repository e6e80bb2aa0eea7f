/**
 * The notification poster against receivers on 127.0.0.1 started here: what it records of
 * answers, that it refuses addresses outside the policy before a byte is sent (by the URL, and
 * by the address a name resolves to when it connects), never follows a redirect, and that no
 * receiver can hold an attempt past its timeout.
 */
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHttpPoster } from '../../src/notifications/http-post.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

const servers: http.Server[] = [];

/** A receiver on 127.0.0.1 that records each request, then lets `handler` answer it. */
async function receiver(handler: Handler) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
      });
      handler(request, response);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { received, port, url: `http://127.0.0.1:${port}` };
}

const answer =
  (status: number, body = '', headers: http.OutgoingHttpHeaders = {}): Handler =>
  (_request, response) => {
    response.writeHead(status, headers);
    response.end(body);
  };

/** Resolves every name to 127.0.0.1, as a rebinding DNS server would. */
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

const LOOPBACK = ['127.0.0.0/8', '::1/128'];
const posters: { close(): void }[] = [];

function poster(options: Partial<Parameters<typeof createHttpPoster>[0]> = {}) {
  const created = createHttpPoster({ allowedNetworks: LOOPBACK, timeoutMs: 5_000, ...options });
  posters.push(created);
  return created;
}

afterEach(() => {
  for (const created of posters.splice(0)) created.close();
});

afterAll(async () => {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

describe('createHttpPoster', () => {
  it('POSTs the body as JSON with the given headers, and records a 2xx with its latency', async () => {
    const target = await receiver(answer(202, 'accepted'));
    const outcome = await poster({ userAgent: 'iot-analytics-test/1' }).post(
      `${target.url}/hooks/alerts?x=1`,
      '{"status":"FIRING"}',
      { 'webhook-id': 'msg_1' },
    );
    expect(outcome).toEqual({ status: 202, latencyMs: expect.any(Number), error: null });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
    expect(outcome.latencyMs).toBeLessThan(5_000);
    expect(target.received).toEqual([
      {
        method: 'POST',
        url: '/hooks/alerts?x=1',
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'content-length': '19',
          'user-agent': 'iot-analytics-test/1',
          'webhook-id': 'msg_1',
        }),
        body: '{"status":"FIRING"}',
      },
    ]);
  });

  it('refuses a loopback address when no network allows it, and sends nothing', async () => {
    const target = await receiver(answer(200));
    const outcome = await poster({ allowedNetworks: [] }).post(target.url, '{}', {});
    expect(outcome).toEqual({
      status: null,
      latencyMs: expect.any(Number),
      error: expect.stringMatching(/^127\.0\.0\.1 is a loopback address; only public addresses/),
    });
    expect(target.received).toEqual([]);
  });

  it('refuses at connect time a name that resolves to a loopback address (DNS rebinding)', async () => {
    const target = await receiver(answer(200));
    const url = `http://hooks.example.test:${target.port}/`;
    const refused = await poster({ allowedNetworks: [], lookup: toLoopback }).post(url, '{}', {});
    expect(refused.status).toBeNull();
    expect(refused.error).toMatch(/127\.0\.0\.1.*not allowed/);
    expect(target.received).toEqual([]);
    // The same name reaches the receiver where loopback is allowed: the lookup was used.
    const allowed = await poster({ lookup: toLoopback }).post(url, '{}', {});
    expect(allowed).toMatchObject({ status: 200, error: null });
    expect(target.received).toHaveLength(1);
  });

  it('connects to the IPv4 address of an IPv4-mapped literal, which the policy allows', async () => {
    const target = await receiver(answer(204));
    const outcome = await poster({ allowedNetworks: ['127.0.0.0/8'] }).post(
      `http://[::ffff:127.0.0.1]:${target.port}/`,
      '{}',
      {},
    );
    expect(outcome).toMatchObject({ status: 204, error: null });
  });

  it('records a 500 with the start of its body', async () => {
    const body = `database is down ${'x'.repeat(500)}`;
    const target = await receiver(answer(500, body, { 'content-type': 'text/plain' }));
    const outcome = await poster().post(target.url, '{}', {});
    expect(outcome).toEqual({
      status: 500,
      latencyMs: expect.any(Number),
      error: `HTTP 500: ${body.slice(0, 200)}`,
    });
  });

  it('records a 404 with an empty body as its status alone', async () => {
    const target = await receiver(answer(404));
    expect(await poster().post(target.url, '{}', {})).toMatchObject({
      status: 404,
      error: 'HTTP 404',
    });
  });

  it('does not follow a redirect', async () => {
    const elsewhere = await receiver(answer(200));
    const location = `${elsewhere.url}/landing`;
    const target = await receiver(answer(302, '', { location }));
    const outcome = await poster().post(target.url, '{}', {});
    expect(outcome).toMatchObject({
      status: 302,
      error: `HTTP 302: redirect to ${location} not followed`,
    });
    expect(target.received).toHaveLength(1);
    expect(elsewhere.received).toEqual([]);
  });

  it('gives up on a receiver that never answers after timeoutMs', async () => {
    const target = await receiver(() => {});
    const outcome = await poster({ timeoutMs: 300 }).post(target.url, '{}', {});
    expect(outcome).toEqual({
      status: null,
      latencyMs: expect.any(Number),
      error: 'no response within 300 ms',
    });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(295);
    expect(outcome.latencyMs).toBeLessThan(1_500);
  });

  it('stops reading a body that never ends', async () => {
    const endless =
      (status: number): Handler =>
      (_request, response) => {
        response.writeHead(status, { 'content-type': 'text/plain' });
        const chunk = 'y'.repeat(16 * 1024);
        const more = () => {
          while (!response.destroyed && response.write(chunk));
          if (!response.destroyed) response.once('drain', more);
        };
        more();
      };
    const ok = await receiver(endless(200));
    const failing = await receiver(endless(503));
    const timeoutMs = 5_000;
    const sent = await poster({ timeoutMs }).post(ok.url, '{}', {});
    expect(sent).toMatchObject({ status: 200, error: null });
    expect(sent.latencyMs).toBeLessThan(timeoutMs / 2);
    const refused = await poster({ timeoutMs }).post(failing.url, '{}', {});
    expect(refused).toMatchObject({ status: 503, error: `HTTP 503: ${'y'.repeat(200)}` });
    expect(refused.latencyMs).toBeLessThan(timeoutMs / 2);
  });

  it('records a connection refused', async () => {
    const target = await receiver(answer(200));
    const port = target.port;
    const closed = servers.pop();
    await new Promise<void>((resolve) => closed?.close(() => resolve()));
    const outcome = await poster().post(`http://127.0.0.1:${port}/`, '{}', {});
    expect(outcome).toMatchObject({ status: null, error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('never throws: a bad URL or header is a failed attempt', async () => {
    const target = await receiver(answer(200));
    const posting = poster();
    expect(await posting.post('not a url', '{}', {})).toMatchObject({
      status: null,
      error: 'not a valid absolute URL',
    });
    expect(await posting.post(target.url, '{}', { 'x-bad': 'a\r\nb' })).toMatchObject({
      status: null,
      error: expect.stringMatching(/x-bad/),
    });
    expect(target.received).toEqual([]);
  });
});
