import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from '../../http/service-server.js';
import { readBody } from '../../ingest/read-body.js';

export const PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE';

function tooLarge(res: ServerResponse, maxBytes: number) {
  const payload = JSON.stringify({
    errors: [
      {
        message: `request body larger than ${maxBytes} bytes`,
        extensions: { code: PAYLOAD_TOO_LARGE },
      },
    ],
  });
  // The rest of the body is never read: close the connection rather than reuse it.
  res.writeHead(413, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    connection: 'close',
  });
  res.end(payload);
}

/**
 * Caps GraphQL request bodies at `maxBytes` (413 with a GraphQL-shaped JSON error). Written by
 * hand because yoga (and @whatwg-node/server under it) has no body size option: it would read
 * any body into memory. A declared Content-Length over the limit is refused before reading;
 * otherwise (chunked, or a lying length) the body is read up to the limit and handed to yoga as
 * an already-read body, which @whatwg-node/server takes from `req.body` (the way it accepts a
 * body parsed by express and similar frameworks). GET/HEAD carry no body (Node caps the URL
 * through its header size limit).
 */
export function limitRequestBody(handler: RequestHandler, maxBytes: number): RequestHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' || req.method === 'HEAD') return handler(req, res);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) return tooLarge(res, maxBytes);
    void readBody(req, maxBytes, false).then((read) => {
      if (read.ok) {
        Object.assign(req, { body: read.body });
        return handler(req, res);
      }
      if (read.reason === 'too-large') return tooLarge(res, maxBytes);
      res.destroy();
    });
  };
}
