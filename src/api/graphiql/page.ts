import type { GraphiQLOptions } from 'graphql-yoga';
import { graphiqlAssets } from './assets.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** JSON safe inside a `<script>` element: no `<` to end it early. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * yoga's `renderGraphiQL` option: the GraphiQL page as a few KB of HTML that loads GraphiQL's
 * prebuilt files from this process (GRAPHIQL_ASSETS_PATH, served by useGraphiQLAssets) instead
 * of inlining 9 MB of them, and no CDN, so it works offline. The options yoga passes (the
 * `graphiql` option) go to the page's script as JSON; its own script (start-script.ts) runs
 * first, then GraphiQL's bundle.
 */
export async function renderGraphiQL(options: GraphiQLOptions = {}): Promise<string> {
  const assets = await graphiqlAssets();
  const { favicon, ...rest } = options;
  const config = {
    options: rest,
    workers: Object.fromEntries(
      Object.entries(assets.workers).map(([label, worker]) => [label, worker.url]),
    ),
  };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${escapeHtml(favicon ?? assets.favicon.url)}" />
    <link rel="stylesheet" href="${assets.styles.url}" />
    <script id="graphiql-config" type="application/json">${scriptJson(config)}</script>
    <script defer src="${assets.start.url}"></script>
    <script defer src="${assets.script.url}"></script>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run GraphiQL.</noscript>
    <div id="root"></div>
  </body>
</html>
`;
}
