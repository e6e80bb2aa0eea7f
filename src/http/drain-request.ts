import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

export interface DrainLimits {
  /** Bytes of body, as they come off the wire (before any gzip decoding), read and discarded. */
  maxBytes: number;
  /** How long after the answer the client may go on sending. */
  maxMs: number;
}

/**
 * Why drain at all: a client that writes its whole body before reading (undici's `fetch`,
 * `node:http`) gets a TCP reset, not our answer, when we close a socket it is still writing to;
 * the reset often throws away the answer already in its receive buffer (EPIPE/ECONNRESET instead
 * of 413). Why these caps: 8 MiB is eight times the default ingest limit, so the bodies a
 * misconfigured client actually sends (a batch a few times too big; the e2e test sends 2–5×) are
 * read to their end, while one refused request costs at most 8 MiB of bandwidth and no memory
 * (chunks are discarded). 2 s lets a client on a modest uplink (8 MiB in 2 s is ~34 Mbit/s)
 * finish a few MiB, and holds a trickling client's connection no longer than that (the server's
 * requestTimeout is 60 s). Whichever comes first ends the drain by destroying the socket.
 */
export const DRAIN_LIMITS: Readonly<DrainLimits> = { maxBytes: 8 * 1024 * 1024, maxMs: 2_000 };

/**
 * Answers a request whose body will not be used (413) with `connection: close`, then reads and
 * discards the rest of the body within `limits` before the connection closes, so the client
 * sees the answer instead of a reset. The caller must not have written anything to `res`.
 */
export function answerAndDrain(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  payload: string,
  limits: DrainLimits = DRAIN_LIMITS,
): void {
  res.writeHead(status, {
    ...headers,
    'content-length': Buffer.byteLength(payload),
    connection: 'close',
  });
  if (req.readableEnded || req.destroyed) {
    res.end(payload);
    return;
  }
  // The whole answer goes out now, but `end()` waits: Node closes a `connection: close` socket
  // as soon as its response finishes, which is exactly the early close that resets the client.
  res.write(payload);

  let drained = 0;
  let done = false;
  const timer = setTimeout(() => stop('cut off'), limits.maxMs);

  function stop(how: 'end' | 'cut off' | 'gone') {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onGone);
    res.off('close', onGone);
    if (how === 'end') res.end();
    else if (how === 'cut off') res.destroy();
  }
  function onData(chunk: Buffer) {
    drained += chunk.length;
    if (drained > limits.maxBytes) stop('cut off');
  }
  function onEnd() {
    stop('end');
  }
  function onGone() {
    stop('gone');
  }

  req.on('data', onData);
  req.once('end', onEnd);
  // The client hung up: nothing left to drain, only the timer to clear.
  req.once('error', onGone);
  res.once('close', onGone);
  // A reader that stopped at the limit may have paused the request (unpipe does).
  req.resume();
}
