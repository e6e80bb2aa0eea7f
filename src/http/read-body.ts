import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type BodyResult =
  | { ok: true; body: string }
  | { ok: false; reason: 'too-large' | 'bad-gzip' | 'bad-utf8' | 'aborted' };

// fatal: invalid UTF-8 is refused, not silently turned into U+FFFD (the text rule,
// src/domain/text-rule.ts: nothing is stored other than as sent).
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(bytes: Buffer): BodyResult {
  try {
    return { ok: true, body: utf8.decode(bytes) };
  } catch {
    return { ok: false, reason: 'bad-utf8' };
  }
}

/**
 * Reads a request body of at most `maxBytes` (after gzip decoding, when the client compressed it:
 * the limit protects memory, and a small gzip bomb must not get around it). Reading stops as soon
 * as the limit is passed, the rest left paused on `req` for the caller's 413 to drain
 * (src/http/drain-request.ts), so none of it is decoded or kept.
 */
export function readBody(req: IncomingMessage, maxBytes: number, gzip: boolean) {
  return new Promise<BodyResult>((resolve) => {
    const gunzip = gzip ? createGunzip() : undefined;
    const source: Readable = gunzip ? req.pipe(gunzip) : req;
    gunzip?.once('error', () => finish({ ok: false, reason: 'bad-gzip' }));
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;

    function finish(result: BodyResult) {
      if (done) return;
      done = true;
      source.off('data', onData);
      if (gunzip) {
        req.unpipe(gunzip);
        gunzip.destroy();
      }
      resolve(result);
    }

    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > maxBytes) {
        // Without a pause the request would go on flowing with nobody counting the bytes before
        // the drain takes over.
        req.pause();
        return finish({ ok: false, reason: 'too-large' });
      }
      chunks.push(chunk);
    }

    source.on('data', onData);
    source.once('end', () => finish(decode(Buffer.concat(chunks, size))));
    req.once('error', () => finish({ ok: false, reason: 'aborted' }));
    req.once('close', () => {
      if (!req.complete) finish({ ok: false, reason: 'aborted' });
    });
  });
}
