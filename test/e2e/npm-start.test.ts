/**
 * `npm start` as the README's first command runs it (scripts/start.mjs): from a dist/ older than
 * the sources it transpiles src/ with esbuild, then serves the embedded product from plain
 * JavaScript: the printed GraphiQL and console lines, /health, a GraphQL answer with the printed
 * token, and a clean exit on SIGTERM. A second start finds dist/ current and transpiles nothing.
 */
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/child-process.js';
import { startEmbeddedProcess, type RunningEmbedded } from '../support/processes.js';

const start = (dataDir: string) =>
  startEmbeddedProcess({ DATA_DIR: dataDir }, [], ['scripts/start.mjs']);
const printed = (app: RunningEmbedded, pattern: RegExp) =>
  app.logs.map((line) => pattern.exec(line)?.[0]).find(Boolean);

describe('npm start (scripts/start.mjs)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'iot-npm-start-'));
    // dist/ older than every source: the start must transpile.
    await utimes(path.join(root, 'dist/main.js'), new Date(0), new Date(0)).catch(() => {});
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('transpiles a stale dist/, serves the product, and stops cleanly', async () => {
    const app = await start(dataDir);
    try {
      expect(printed(app, /Transpiled src\/ to dist\//)).toBeDefined();
      expect((await fetch(`${app.baseUrl}/health`)).status).toBe(200);
      const answer = await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${app.adminToken}`,
        },
        body: JSON.stringify({ query: '{ viewer { organizationId } }' }),
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { data: unknown }).data).toBeTruthy();
      expect(printed(app, /Console:\s+\S+/)).toContain('/console/#token=');
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('starts from a current dist/ without transpiling', async () => {
    const app = await start(dataDir);
    try {
      expect(printed(app, /Transpiled src\/ to dist\//)).toBeUndefined();
      expect((await fetch(`${app.baseUrl}/health`)).status).toBe(200);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });
});
