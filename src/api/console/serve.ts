import { readdir, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';
import {
  answerStaticFile,
  IMMUTABLE,
  plainAnswer,
  refuseUnlessRead,
  staticFile,
  type StaticFile,
} from '../../http/static-file.js';

/** Where the console is served; its files are built into console/dist by Vite (console/). */
export const CONSOLE_PATH = '/console';
const ASSETS = `${CONSOLE_PATH}/assets/`;
/** console/dist, from src/api/console/ (tsx) as from dist/api/console/ (the build). */
const BUILT = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The page may run only its own files and talk only to this origin (HTTP and WebSocket): a
 * token in the page is worth stealing. uPlot sets element styles, hence style-src's inline.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface ConsoleFiles {
  page: StaticFile;
  assets: ReadonlyMap<string, StaticFile>;
}

async function loadConsole(): Promise<ConsoleFiles | undefined> {
  let page: Buffer;
  try {
    page = await readFile(`${BUILT}index.html`);
  } catch {
    return undefined;
  }
  const names = await readdir(`${BUILT}assets`).catch(() => [] as string[]);
  const assets = new Map<string, StaticFile>();
  for (const name of names) {
    const body = await readFile(`${BUILT}assets/${name}`);
    const type = TYPES[extname(name)] ?? 'application/octet-stream';
    // Vite names each file by its content's hash: the URL's body never changes.
    assets.set(name, staticFile(body, type, IMMUTABLE));
  }
  // The page names the current files: always asked again (a 304 while unchanged).
  return { page: staticFile(page, 'text/html; charset=utf-8', 'no-cache', PAGE_HEADERS), assets };
}

let loading: Promise<ConsoleFiles | undefined> | undefined;

/**
 * Serves the web console (GET and HEAD): `/console` is its page, `/console/assets/…` its files,
 * read once per process from console/dist, precompressed, cached for good (the page: revalidated).
 * Runs in yoga's onRequest, before GraphQL handling: public static files; the console signs in
 * with the API like any client. Without a build, a 503 says how to make one.
 */
export function useConsole(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      const path = url.pathname;
      if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return;
      const refused = refuseUnlessRead(request, fetchAPI);
      if (refused) return endResponse(refused);
      loading ??= loadConsole();
      const files = await loading;
      if (!files) {
        loading = undefined; // built later: look again next time
        return endResponse(
          plainAnswer(fetchAPI, 503, 'the console is not built: run `npm run build:console`\n'),
        );
      }
      if (path === CONSOLE_PATH) {
        return endResponse(
          new fetchAPI.Response(null, { status: 308, headers: { location: `${CONSOLE_PATH}/` } }),
        );
      }
      if (path === `${CONSOLE_PATH}/` || path === `${CONSOLE_PATH}/index.html`) {
        return endResponse(await answerStaticFile(request, files.page, fetchAPI));
      }
      const asset = path.startsWith(ASSETS)
        ? files.assets.get(path.slice(ASSETS.length))
        : undefined;
      if (!asset) return endResponse(plainAnswer(fetchAPI, 404, 'no such console file\n'));
      endResponse(await answerStaticFile(request, asset, fetchAPI));
    },
  };
}
