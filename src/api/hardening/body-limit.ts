import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerAndDrain } from '../../http/drain-request.js';
import type { RequestHandler } from '../../http/service-server.js';
import { readBody } from '../../http/read-body.js';

export const PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE';

function tooLarge(req: IncomingMessage, res: ServerResponse, maxBytes: number) {
  const payload = JSON.stringify({
    errors: [
      {
        message: `request body larger than ${maxBytes} bytes`,
        extensions: { code: PAYLOAD_TOO_LARGE },
      },
    ],
  });
  answerAndDrain(req, res, 413, { 'content-type': 'application/json' }, payload);
}

/** yoga's answer to a body that is not JSON, for one that is not even UTF-8. */
function notUtf8(res: ServerResponse) {
  const payload = JSON.stringify({
    errors: [{ message: 'POST body is not valid UTF-8.', extensions: { code: 'BAD_REQUEST' } }],
  });
  res.writeHead(400, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/**
 * Caps GraphQL request bodies at `maxBytes` (413 with a GraphQL-shaped JSON error). Written by
 * hand because yoga (and @whatwg-node/server under it) has no body size option: it would read
 * any body into memory. A declared Content-Length over the limit is refused before reading;
 * otherwise (chunked, or a lying length) the body is read up to the limit (a refusal then drains
 * the rest, src/http/drain-request.ts, so the client reads it) and handed to yoga as
 * an already-read body, which @whatwg-node/server takes from `req.body` (the way it accepts a
 * body parsed by express and similar frameworks). GET/HEAD carry no body (Node caps the URL
 * through its header size limit).
 */
export function limitRequestBody(handler: RequestHandler, maxBytes: number): RequestHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' || req.method === 'HEAD') return handler(req, res);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) return tooLarge(req, res, maxBytes);
    void readBody(req, maxBytes, false).then((read) => {
      if (read.ok) {
        Object.assign(req, { body: read.body });
        return handler(req, res);
      }
      if (read.reason === 'too-large') return tooLarge(req, res, maxBytes);
      if (read.reason === 'bad-utf8') return notUtf8(res);
      res.destroy();
    });
  };
}
