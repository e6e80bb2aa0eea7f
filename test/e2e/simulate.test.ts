/**
 * `npm run simulate` as a newcomer runs it beside `npm start`: it finds the server's default data
 * folder, and a problem it cannot get past is one line and a non-zero exit, not a stack trace.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/child-process.js';
import { makeDataDir, startEmbeddedApp } from '../support/embedded-app.js';

const run = promisify(execFile);
const tsx = path.join(root, 'node_modules/.bin/tsx');
const simulator = path.join(root, 'scripts/simulate.ts');

/** The simulator from `cwd`, with no DATA_DIR, JWT_SECRET or MODE in its environment. */
async function simulate(cwd: string, args: string[]) {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await run(tsx, [simulator, ...args], { cwd, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run simulate', () => {
  let folder: Awaited<ReturnType<typeof makeDataDir>>;
  beforeAll(async () => {
    folder = await makeDataDir();
  });
  afterAll(() => folder.remove());

  it('without a server secret to sign with, says so in one line and exits 1', async () => {
    const empty = path.join(folder.dir, 'empty');
    await mkdir(empty);
    const result = await simulate(empty, ['--duration', '1']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^simulate: no data\/jwt-secret in .*empty or a folder above it/);
    expect(lines[0]).toContain('npm start');
    expect(lines[0]).toContain('--token');
  }, 60_000);

  it('finds the default data folder of a server started above, and streams points into it', async () => {
    // `npm start` in project/ keeps its data in project/data; the simulator runs from a folder below.
    const project = path.join(folder.dir, 'project');
    const below = path.join(project, 'scripts');
    await mkdir(below, { recursive: true });
    const app = await startEmbeddedApp(path.join(project, 'data'));
    try {
      const result = await simulate(below, [
        ...['--url', app.baseUrl, '--devices', '2', '--rate', '5', '--duration', '2'],
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`secret in ${path.join(project, 'data')}`);

      const response = await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
        body: JSON.stringify({
          query:
            '{ devices(first: 10, filter: { search: "sim-" }) { edges { node { name latest { metric } } } } }',
        }),
      });
      const { data } = (await response.json()) as {
        data: { devices: { edges: { node: { name: string; latest: { metric: string }[] } }[] } };
      };
      const devices = data.devices.edges.map((edge) => edge.node);
      expect(devices).toHaveLength(2);
      for (const device of devices)
        expect(device.latest.map((l) => l.metric)).toContain('temperature');
    } finally {
      await app.stop();
    }
  }, 90_000);

  it('names the server it cannot reach', async () => {
    const url = 'http://127.0.0.1:1';
    const result = await simulate(folder.dir, ['--url', url, '--token', 'any', '--duration', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^simulate: cannot reach http:\/\/127\.0\.0\.1:1 \(.+\): start the server/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
