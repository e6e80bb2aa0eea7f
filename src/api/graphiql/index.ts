/**
 * GraphiQL as a small page plus separate, cacheable, precompressed files from the installed
 * @graphql-yoga/render-graphiql bundle (no CDN), and a page that sends nothing to the API until
 * a bearer token is in its Headers tab (docs/architecture.md, test/e2e/graphiql.test.ts).
 */
export { GRAPHIQL_ASSETS_PATH } from './assets.js';
export { renderGraphiQL } from './page.js';
export { useGraphiQLAssets } from './serve.js';
export { BEARER_TOKEN_PATTERN, NO_TOKEN_MESSAGE } from './start-script.js';
