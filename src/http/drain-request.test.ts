import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerAndDrain, type DrainLimits } from './drain-request.js';

const PAYLOAD = JSON.stringify({ code: 'PAYLOAD_TOO_LARGE', message: 'too large' });

interface Refused {
  /** Raw bytes the server read on the connection, headers included, once it closed. */
  bytesRead: Promise<number>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server that refuses every request with answerAndDrain, once `before` has run. */
async function refusingServer(limits: DrainLimits, before?: (req: IncomingMessage) => unknown) {
  const refused: Refused[] = [];
  const server = createServer(async (req, res) => {
    const socket: Socket = req.socket;
    refused.push({
      bytesRead: new Promise((resolve) => socket.once('close', () => resolve(socket.bytesRead))),
    });
    await before?.(req);
    answerAndDrain(req, res, 413, { 'content-type': 'application/json' }, PAYLOAD, limits);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, refused };
}

/** Writes a chunked body forever, as fast as the socket takes it or 1 KiB every `trickleMs`. */
function sendForever(port: number, trickleMs?: number) {
  return new Promise<{ answer: string; ms: number }>((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(trickleMs ? 1024 : 64 * 1024, ' ');
    const framed = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    let answer = '';
    socket.write('POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
    const pump = () => {
      while (!socket.destroyed && socket.write(framed));
    };
    const trickle = trickleMs ? setInterval(() => socket.write(framed), trickleMs) : undefined;
    if (!trickleMs) socket.on('drain', pump).once('connect', pump);
    socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
    socket.on('error', () => {}); // the cut-off under test
    socket.on('close', () => {
      clearInterval(trickle);
      resolve({ answer, ms: performance.now() - started });
    });
  });
}

describe('answerAndDrain', () => {
  it('reads a body within the caps to its end, then answers in full and closes', async () => {
    const { port, refused } = await refusingServer({ maxBytes: 1024 * 1024, maxMs: 5_000 });
    const body = Buffer.alloc(512 * 1024, ' ');
    const answer = await new Promise<{ status?: number; connection?: string; text: string }>(
      (resolve, reject) => {
        const req = request({ port, host: '127.0.0.1', method: 'POST', agent: false }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode, connection: res.headers.connection, text }),
          );
        });
        req.on('error', reject);
        req.end(body);
      },
    );
    expect(answer).toEqual({ status: 413, connection: 'close', text: PAYLOAD });
    expect(await refused[0]!.bytesRead).toBeGreaterThanOrEqual(body.length);
  });

  it('cuts off a client that sends past the byte cap, having read about the cap only', async () => {
    const maxBytes = 256 * 1024;
    const { port, refused } = await refusingServer({ maxBytes, maxMs: 10_000 });
    const endless = await sendForever(port);
    expect(endless.ms).toBeLessThan(5_000);
    expect(endless.answer).toMatch(/^HTTP\/1\.1 413 /);
    // Chunks are counted as they arrive, so at most one socket read (64 KiB) more plus framing.
    expect(await refused[0]!.bytesRead).toBeLessThan(maxBytes + 256 * 1024);
  });

  it('cuts off a client that sends past the time cap', async () => {
    const { port } = await refusingServer({ maxBytes: 1024 * 1024, maxMs: 300 });
    const endless = await sendForever(port, 10);
    expect(endless.answer).toContain(PAYLOAD);
    expect(endless.ms).toBeGreaterThanOrEqual(290);
    expect(endless.ms).toBeLessThan(3_000);
  });

  it('answers at once when the body was already read, and resumes a paused one', async () => {
    const { port } = await refusingServer(
      { maxBytes: 1024 * 1024, maxMs: 5_000 },
      (req) =>
        // As a reader that stopped at its limit leaves it: paused, some of the body unread.
        new Promise((resolve) => req.once('data', () => resolve(req.pause()))),
    );
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body: Buffer.alloc(300 * 1024, ' '),
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toBe(PAYLOAD);

    const { port: second } = await refusingServer(
      { maxBytes: 0, maxMs: 0 },
      (req) => new Promise((resolve) => req.resume().once('end', resolve)),
    );
    // Caps of zero would cut off any drain: the answer can only come from not draining at all.
    const read = await fetch(`http://127.0.0.1:${second}/`, {
      method: 'POST',
      body: 'x'.repeat(10),
    });
    expect(read.status).toBe(413);
    expect(await read.text()).toBe(PAYLOAD);
  });
});
