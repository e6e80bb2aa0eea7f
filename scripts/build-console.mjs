/**
 * Builds the web console (console/ → console/dist, `npm run build:console`) as `npm start` begins
 * when it is missing or older than its sources, so a newcomer's `npm install && npm start` serves
 * it; an up-to-date build is left alone (the check takes milliseconds).
 */
// The eslint config gives .mjs files no Node globals.
/* global process, console, URL */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const consoleDir = path.join(root, 'console');
const built = path.join(consoleDir, 'dist', 'index.html');

/** The newest modification time under `dir` (skipping dist and node_modules). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

function builtAt() {
  try {
    return statSync(built).mtimeMs;
  } catch {
    return 0;
  }
}

const vite = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vite/package.json')),
  'bin',
  'vite.js',
);

/** Builds the console; with `ifStale`, only when the build is missing or older than its sources. */
export function buildConsole({ ifStale = false } = {}) {
  if (ifStale && builtAt() >= newest(consoleDir)) return;
  console.log('Building the web console (console/dist)…');
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', path.join(consoleDir, 'vite.config.ts')],
    { stdio: 'inherit', cwd: root },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// Run as a command (scripts/start.mjs imports it instead).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildConsole({ ifStale: process.argv.includes('--if-stale') });
}
