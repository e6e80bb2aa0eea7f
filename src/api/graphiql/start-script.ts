/**
 * What GraphiQL shows instead of asking the server while its Headers tab holds no bearer token.
 * `npm start` prints the line to paste (src/main.ts).
 */
export const NO_TOKEN_MESSAGE =
  'No token yet, so nothing was sent. Replace the Headers tab (below) with ' +
  '{"Authorization": "Bearer <token>"}: `npm start` prints that line with an admin token; ' +
  'otherwise use a JWT or an API key of yours. Then run the query (Ctrl-Enter), and re-fetch ' +
  'the schema (the ↻ button at the bottom left) for the docs and autocompletion.';

/**
 * A bearer token as the API reads one (`bearerToken` in src/api/server-context.ts), less what only a
 * placeholder holds: `<`, `>` or `…`.
 */
export const BEARER_TOKEN_PATTERN = /^\s*Bearer\s+[^\s<>…]+\s*$/i;

/**
 * The page's own script, served as a cacheable file before GraphiQL's bundle
 * (src/api/graphiql/page.ts), plain ES2017 for the browser:
 *
 * - Monaco's workers load from their own same-origin files (the `workers` of the page config);
 * - GraphiQL's requests to the GraphQL endpoint that carry no usable bearer token (none, or the
 *   `<…>` placeholder of the Headers tab) are answered in the page with NO_TOKEN_MESSAGE and
 *   never reach the server, which would refuse them (401) anyway. yoga's GraphiQL calls
 *   `globalThis.fetch` for every request it sends (its executor's `fetch` option), so this is the
 *   one place that sees them all, queries, introspection and SSE subscriptions alike;
 * - GraphiQL is rendered once its bundle (the next deferred script) has run.
 *
 * test/e2e/graphiql.test.ts runs it against a stub window and in Chromium.
 */
export const START_SCRIPT = `(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('graphiql-config').textContent);
  var options = config.options;
  var bearerToken = ${String(BEARER_TOKEN_PATTERN)};
  var noTokenMessage = ${JSON.stringify(NO_TOKEN_MESSAGE)};

  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) {
      return config.workers[label];
    },
  };

  var endpoint = new URL(options.endpoint || location.pathname, location.href);
  var serverFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var request;
    try {
      request = new Request(input, init);
    } catch (error) {
      return serverFetch(input, init);
    }
    var url = new URL(request.url);
    var toEndpoint = url.origin === endpoint.origin && url.pathname === endpoint.pathname;
    if (!toEndpoint || bearerToken.test(request.headers.get('authorization') || '')) {
      return serverFetch(input, init);
    }
    var answer = { errors: [{ message: noTokenMessage, extensions: { code: 'UNAUTHENTICATED' } }] };
    return Promise.resolve(
      new Response(JSON.stringify(answer), {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      }),
    );
  };

  document.addEventListener('DOMContentLoaded', function () {
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
  });
})();
`;
