import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Writable } from 'node:stream';
import {
  createCompressor,
  negotiateEncoding,
  type ContentEncoding,
} from '../../http/compression.js';

/**
 * A 200 response written chunk by chunk at the pace the client reads it. The status and headers
 * go out with the first chunk (or at `end`), so whatever fails before that can still be answered
 * with an error status; after it, `abort` is the only way to tell the client.
 */
export interface StreamedBody {
  /** The client went away (or the body was aborted): nothing more will reach it. */
  readonly closed: boolean;
  /** How many writes waited for the socket (or the compressor) to drain. */
  readonly drainWaits: number;
  /**
   * Sends the chunk (the headers first, the first time). Resolves at once while the buffers have
   * room, else once they have drained, or the client has gone (then the chunk is dropped).
   */
  write(chunk: string): Promise<void>;
  /** Ends the body; resolves once it is handed to the socket, or the client has gone. */
  end(): Promise<void>;
  /**
   * Ends the response as broken: the connection is closed without the chunked body's last
   * chunk, so the client sees a truncated transfer (curl exits with 18, fetch's body read
   * rejects), never a body that looks complete.
   */
  abort(): void;
}

/**
 * The body of `res` with these headers, compressed (br, else gzip) when the request's
 * Accept-Encoding allows it: src/http/compression.ts's negotiation and settings, on a compressor
 * this body writes to, since compressResponses compresses only JSON and HTML. Backpressure: a
 * write that fills the compressor's or the socket's buffer waits for its 'drain'.
 */
export function openStreamedBody(
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string>,
): StreamedBody {
  const encoding: ContentEncoding | undefined =
    req.method === 'HEAD' ? undefined : negotiateEncoding(req.headers['accept-encoding']);
  let target: Writable = res;
  let started = false;
  let closed = false;
  let drainWaits = 0;
  res.once('close', () => {
    closed = true;
  });

  function start() {
    if (started) return;
    started = true;
    res.writeHead(200, {
      ...headers,
      vary: 'Accept-Encoding',
      ...(encoding ? { 'content-encoding': encoding } : {}),
    });
    if (encoding) {
      const compressor = createCompressor(encoding);
      // Ends the response when the compressor ends; a client gone destroys the compressor.
      pipeline(compressor, res, () => undefined);
      target = compressor;
    }
  }

  /** Resolves when the target drains, or it or the response closes, whichever comes first. */
  function drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        target.off('drain', done);
        target.off('close', done);
        res.off('close', done);
        resolve();
      };
      target.on('drain', done);
      target.on('close', done);
      res.on('close', done);
    });
  }

  return {
    get closed() {
      return closed || res.destroyed;
    },
    get drainWaits() {
      return drainWaits;
    },
    async write(chunk) {
      if (this.closed) return;
      start();
      if (target.write(chunk)) return;
      drainWaits++;
      await drained();
    },
    async end() {
      start();
      if (this.closed) return;
      const finished = new Promise<void>((resolve) => {
        if (res.writableFinished) return resolve();
        res.once('finish', resolve);
        res.once('close', resolve);
      });
      target.end();
      await finished;
    },
    abort() {
      closed = true;
      res.destroy();
    },
  };
}
