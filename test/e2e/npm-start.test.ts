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
import { root, startChild } from '../support/child-process.js';

const start = (dataDir: string) =>
  startChild({
    name: 'npm start (scripts/start.mjs)',
    args: ['scripts/start.mjs'],
    env: { HOST: '127.0.0.1', PORT: '0', MQTT_PORT: 'off', METRICS_PORT: 'off', DATA_DIR: dataDir },
    ready(line, found) {
      if (line.includes('Transpiled src/ to dist/')) found.transpiled = 'yes';
      const url = /GraphiQL:\s+(http:\/\/\S+)\/graphql/.exec(line)?.[1];
      if (url) found.baseUrl = url;
      const token = /"Authorization": "Bearer ([^"]+)"/.exec(line)?.[1];
      if (token) found.token = token;
      const link = /Console:\s+(\S+)/.exec(line)?.[1];
      if (link) found.console = link;
      return Boolean(found.baseUrl && found.token && found.console);
    },
    timeoutMs: 60_000,
  });

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
      expect(app.found.transpiled).toBe('yes');
      expect((await fetch(`${app.found.baseUrl}/health`)).status).toBe(200);
      const answer = await fetch(`${app.found.baseUrl}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${app.found.token}`,
        },
        body: JSON.stringify({ query: '{ viewer { organizationId } }' }),
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { data: unknown }).data).toBeTruthy();
      expect(app.found.console).toContain('/console/#token=');
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('starts from a current dist/ without transpiling', async () => {
    const app = await start(dataDir);
    try {
      expect(app.found.transpiled).toBeUndefined();
      expect((await fetch(`${app.found.baseUrl}/health`)).status).toBe(200);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });
});
