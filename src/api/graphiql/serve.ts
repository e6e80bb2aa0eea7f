import type { Plugin } from 'graphql-yoga';
import { answerStaticFile, plainAnswer, refuseUnlessRead } from '../../http/static-file.js';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets } from './assets.js';

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
      const refused = refuseUnlessRead(request, fetchAPI);
      if (refused) return endResponse(refused);
      const assets = await graphiqlAssets();
      const asset = assets.byName.get(url.pathname.slice(GRAPHIQL_ASSETS_PATH.length));
      if (!asset) return endResponse(plainAnswer(fetchAPI, 404, 'no such GraphiQL asset\n'));

      endResponse(await answerStaticFile(request, asset, fetchAPI));
    },
  };
}
