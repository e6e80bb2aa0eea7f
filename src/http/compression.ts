import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import compression from 'compression';

/** The content codings this server sends, best first when a client accepts several alike. */
export type ContentEncoding = 'br' | 'gzip';

/**
 * Smaller bodies (a short GraphQL answer, an error) go out as they are: on a few hundred bytes
 * compression saves less than a packet and costs a compressor per response. Both sides of it
 * are checked in test/e2e/graphiql.test.ts.
 */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

/** Brotli's quality for bodies compressed as they are sent: `compression`'s own default. */
const STREAM_BROTLI_QUALITY = 4;

/**
 * What is compressed on the fly: JSON (GraphQL answers, ingest and error bodies, any `+json`)
 * and HTML (the GraphiQL page). Never `text/event-stream` or `multipart/mixed`: those are
 * streams of events a client must get as each is written, and a compressor holds them back.
 * Static files carry their own precompressed bodies (precompress below, src/api/graphiql/).
 */
const COMPRESSED_TYPES = /^\s*(?:application\/(?:[\w.-]+\+)?json|text\/html)\s*(?:;|$)/i;

// @types/compression types it as an Express handler; it needs only Node's req and res.
const onTheFly = compression({
  threshold: COMPRESSION_THRESHOLD_BYTES,
  filter: (_req, res) => COMPRESSED_TYPES.test(String(res.getHeader('content-type') ?? '')),
}) as unknown as (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `listener` with its responses compressed when the client accepts it (`Accept-Encoding`,
 * q-values honoured; br preferred, then gzip), the type is one of COMPRESSED_TYPES, the body is
 * at least COMPRESSION_THRESHOLD_BYTES and not already encoded; `Vary: Accept-Encoding` on
 * every response of those types. The work is expressjs's `compression`, brotli at quality 4.
 */
export function compressResponses(listener: Listener): Listener {
  return (req, res) => onTheFly(req, res, () => listener(req, res));
}

/**
 * The encoding to send a precompressed body in for this `Accept-Encoding` header: the accepted
 * one (q > 0) with the highest q among those `available`, br before gzip on a tie, `*` standing
 * for any coding the header does not name; undefined means the identity body.
 */
export function negotiateEncoding(
  acceptEncoding: string | null | undefined,
  available: readonly ContentEncoding[] = ['br', 'gzip'],
): ContentEncoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.split(';').map((token) => token.trim().toLowerCase());
    if (!name) continue;
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (Number.isFinite(weight)) weights.set(name, weight);
  }
  let best: ContentEncoding | undefined;
  let bestWeight = 0;
  for (const encoding of ['br', 'gzip'] as const) {
    if (!available.includes(encoding)) continue;
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [encoding, weight];
  }
  return best;
}

/**
 * A compressor for a body streamed by its handler rather than through compressResponses (an
 * export: its type is not one of COMPRESSED_TYPES), with the same settings: brotli at quality
 * 4, gzip at zlib's default level. Write to it and pipe it to the response; its `write` returns
 * false and it emits 'drain' like any stream, so backpressure passes through it.
 */
export function createCompressor(encoding: ContentEncoding): zlib.BrotliCompress | zlib.Gzip {
  return encoding === 'br'
    ? zlib.createBrotliCompress({
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: STREAM_BROTLI_QUALITY },
      })
    : zlib.createGzip();
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * A static body compressed once, for as long as the process serves it: brotli at quality 9
 * (quality 11 shrinks GraphiQL's 5 MB script a further 9% for 16 times the CPU, ~9 s) and gzip
 * at level 9; an encoding that saves less than 5% is left out. On zlib's thread pool, off the
 * event loop.
 */
export async function precompress(body: Buffer): Promise<Partial<Record<ContentEncoding, Buffer>>> {
  const [br, gz] = await Promise.all([
    brotli(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 9,
        [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    gzip(body, { level: 9 }),
  ]);
  const worthIt = (encoded: Buffer) => encoded.length < body.length * 0.95;
  return { ...(worthIt(br) ? { br } : {}), ...(worthIt(gz) ? { gzip: gz } : {}) };
}
