/**
 * `npm start`: the embedded product, run from plain JavaScript, with its web console built. When
 * dist/ is missing or older
 * than any file under src/, esbuild transpiles src/ into it first (every .ts file but the tests,
 * one to one, as `npm run build` lays it out with tsc; esbuild checks no types: `npm run
 * typecheck` and CI do), which takes well under a second; then dist/main.js runs in this process.
 *
 * Why not `tsx src/main.ts` as before: tsx compiles each module through a loader thread at every
 * start, ~0.7 s of a restart that must answer /health within 3 s (issue 13). Arguments after
 * `npm start --` reach main.js as they would reach `node dist/main.js`.
 */
// The eslint config gives .mjs files no Node globals.
/* global process, console, URL, performance */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { buildConsole } from './build-console.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

/** Every .ts file under `dir` but the tests. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function modifiedAt(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

// The web console it serves, when its build is missing or stale (in this process: a second
// node start for the check would cost a tenth of a second of every start).
buildConsole({ ifStale: true });

const files = sources(src);
const main = path.join(dist, 'main.js');
const builtAt = modifiedAt(main);
if (files.some((file) => modifiedAt(file) > builtAt)) {
  const started = performance.now();
  await build({
    entryPoints: files,
    outdir: dist,
    outbase: src,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  console.log(`Transpiled src/ to dist/ in ${Math.round(performance.now() - started)} ms.`);
}

// Stack traces point into src/, through the linked source maps.
process.setSourceMapsEnabled(true);
process.argv.splice(1, 1, main);
await import(pathToFileURL(main).href);
