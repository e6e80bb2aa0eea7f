import { createHash } from 'node:crypto';
import { negotiateEncoding, precompress, type ContentEncoding } from './compression.js';

/** What a named-by-hash file may be cached as: its URL's body never changes. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A file served from memory: its body, compressed once, with an ETag per encoding. */
export interface StaticFile {
  contentType: string;
  /** Of the identity body: the ETag, `-br`/`-gzip` appended for the others. */
  hash: string;
  body: Buffer;
  /** The compressed bodies, computed once; those not worth it are left out. */
  encoded: Promise<Partial<Record<ContentEncoding, Buffer>>>;
  cacheControl: string;
  /** More response headers (a Content-Security-Policy for a page). */
  headers?: Record<string, string>;
}

export function staticFile(
  body: Buffer,
  contentType: string,
  cacheControl: string,
  headers?: Record<string, string>,
): StaticFile {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  // On zlib's threads, started now; should zlib fail, the identity body is served.
  const encoded = precompress(body).catch(() => ({}));
  return { contentType, hash, body, encoded, cacheControl, ...(headers ? { headers } : {}) };
}

const etag = (file: StaticFile, encoding?: string) =>
  `"${file.hash}${encoding ? `-${encoding}` : ''}"`;

/** If-None-Match names one of the file's ETags (any encoding: the content is the same). */
function alreadyHeld(file: StaticFile, ifNoneMatch: string | null): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag.startsWith(`"${file.hash}`) && tag.endsWith('"'));
}

/**
 * The answer to a GET or HEAD of `file`: precompressed br or gzip as the client accepts
 * (`Vary: Accept-Encoding`), its cache policy, an ETag per encoding and 304 for a matching
 * If-None-Match.
 */
export async function answerStaticFile(
  request: Request,
  file: StaticFile,
  fetchAPI: { Response: typeof Response },
): Promise<Response> {
  const common = {
    'cache-control': file.cacheControl,
    vary: 'Accept-Encoding',
    'x-content-type-options': 'nosniff',
    ...file.headers,
  };
  if (alreadyHeld(file, request.headers.get('if-none-match'))) {
    return new fetchAPI.Response(null, { status: 304, headers: { ...common, etag: etag(file) } });
  }
  const encoded = await file.encoded;
  const available = (['br', 'gzip'] as const).filter((encoding) => encoded[encoding]);
  const encoding = negotiateEncoding(request.headers.get('accept-encoding'), available);
  const body = encoding ? encoded[encoding]! : file.body;
  const bytes = new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length);
  return new fetchAPI.Response(request.method === 'HEAD' ? null : bytes, {
    status: 200,
    headers: {
      ...common,
      'content-type': file.contentType,
      'content-length': String(body.length),
      etag: etag(file, encoding),
      ...(encoding ? { 'content-encoding': encoding } : {}),
    },
  });
}

/** A short text/plain answer (404, 405, 503) of a static-file route. */
export function plainAnswer(
  fetchAPI: { Response: typeof Response },
  status: number,
  body: string,
  headers: Record<string, string> = {},
): Response {
  return new fetchAPI.Response(body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  });
}

/** 405 for anything but GET and HEAD: static files are only read. */
export function refuseUnlessRead(
  request: Request,
  fetchAPI: { Response: typeof Response },
): Response | undefined {
  if (request.method === 'GET' || request.method === 'HEAD') return undefined;
  return plainAnswer(fetchAPI, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
}
