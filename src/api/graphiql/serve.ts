import type { Plugin } from 'graphql-yoga';
import { negotiateEncoding } from '../../http/compression.js';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets, type GraphiQLAsset } from './assets.js';

/** A name carries its content's hash, so a URL's body never changes: cache it for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const etag = (asset: GraphiQLAsset, encoding?: string) =>
  `"${asset.hash}${encoding ? `-${encoding}` : ''}"`;

/** If-None-Match names one of the asset's ETags (any encoding: the URL fixes the content). */
function alreadyHeld(asset: GraphiQLAsset, ifNoneMatch: string | null): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag.startsWith(`"${asset.hash}`) && tag.endsWith('"'));
}

/**
 * Serves GraphiQL's files under GRAPHIQL_ASSETS_PATH (GET and HEAD): precompressed br or gzip as
 * the client accepts (`Vary: Accept-Encoding`), immutable caching, an ETag per encoding and 304
 * for a matching If-None-Match. Runs in yoga's onRequest, before any GraphQL handling (CSRF,
 * authentication): these are public static files.
 */
export function useGraphiQLAssets(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return;
      const text = (status: number, body: string, headers: Record<string, string> = {}) =>
        endResponse(
          new fetchAPI.Response(body, {
            status,
            headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
          }),
        );
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return text(405, 'method not allowed\n', { allow: 'GET, HEAD' });
      }
      const assets = await graphiqlAssets();
      const asset = assets.byName.get(url.pathname.slice(GRAPHIQL_ASSETS_PATH.length));
      if (!asset) return text(404, 'no such GraphiQL asset\n');

      const common = {
        'cache-control': IMMUTABLE,
        vary: 'Accept-Encoding',
        'x-content-type-options': 'nosniff',
      };
      if (alreadyHeld(asset, request.headers.get('if-none-match'))) {
        return endResponse(
          new fetchAPI.Response(null, { status: 304, headers: { ...common, etag: etag(asset) } }),
        );
      }
      const encoded = await asset.encoded;
      const available = (['br', 'gzip'] as const).filter((encoding) => encoded[encoding]);
      const encoding = negotiateEncoding(request.headers.get('accept-encoding'), available);
      const body = encoding ? encoded[encoding]! : asset.body;
      const bytes = new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length);
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : bytes, {
          status: 200,
          headers: {
            ...common,
            'content-type': asset.contentType,
            'content-length': String(body.length),
            etag: etag(asset, encoding),
            ...(encoding ? { 'content-encoding': encoding } : {}),
          },
        }),
      );
    },
  };
}
