/**
 * Two processes on one DATA_DIR, as a user causes them: `npm start` twice, or
 * `npm run db:migrate` next to a running server. The second is refused with a message naming
 * the first, which keeps working; a server killed with SIGKILL does not block the next start.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawTelemetryDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import { root } from '../support/child-process.js';
import { makeDataDir } from '../support/embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { startEmbeddedProcess, type RunningEmbedded } from '../support/processes.js';

/** `src/main.ts [args]` to its end: exit code and what it printed. */
function runMain(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error as { code?: number }).code ?? null) : 0,
          output: stdout + stderr,
        }),
    );
  });
}

describe('one process per DATA_DIR', () => {
  let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
  let first: RunningEmbedded | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    env = { DATA_DIR: dataDir.dir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' };
    first = await startEmbeddedProcess(env);
  });
  afterAll(async () => {
    await first?.stop();
    await dataDir?.remove();
  });

  it('refuses a second start and a migration while a server runs, and the server carries on', async () => {
    const inUse = `DATA_DIR ${dataDir.dir} is in use by process ${first!.child.pid}`;
    const second = await runMain([], env);
    expect(second.code).toBe(1);
    expect(second.output).toContain(inUse);
    expect(second.output).not.toContain('GraphiQL:');
    const migrate = await runMain(['migrate'], env);
    expect(migrate.code).toBe(1);
    expect(migrate.output).toContain(inUse);

    // The first server still registers, ingests and answers queries.
    const gql = createGraphQLClient(first!.baseUrl, first!.adminToken);
    const registered = await expectData(
      gql(RegisterDeviceDocument, { input: { externalId: 'lock-1', name: 'Lock', type: 't' } }),
    );
    const { id } = registered.registerDevice.device;
    const ts = Date.UTC(2026, 5, 1);
    const posted = await postTelemetry(
      first!.baseUrl,
      registered.registerDevice.token,
      JSON.stringify({ ts, metrics: { temperature: 12.5 } }),
    );
    expect(posted.status).toBe(202);
    const stored = await eventually(async () => {
      const data = await expectData(
        gql(RawTelemetryDocument, {
          id,
          from: '2026-01-01T00:00:00Z',
          to: '2027-01-01T00:00:00Z',
          first: 10,
        }),
      );
      return data.device.rawTelemetry.edges.length > 0 ? data.device.rawTelemetry.edges : undefined;
    });
    expect(stored.map((edge) => edge.node)).toEqual([
      { ts: new Date(ts).toISOString(), metrics: [{ metric: 'temperature', value: 12.5 }] },
    ]);
  });

  it('starts again on the same DATA_DIR after the server was SIGKILLed, with its data', async () => {
    const gql = createGraphQLClient(first!.baseUrl, first!.adminToken);
    await expectData(
      gql(RegisterDeviceDocument, { input: { externalId: 'lock-2', name: 'Lock 2', type: 't' } }),
    );
    await first!.kill();
    first = await startEmbeddedProcess(env);
    const again = createGraphQLClient(first.baseUrl, first.adminToken);
    const duplicate = await again(RegisterDeviceDocument, {
      input: { externalId: 'lock-2', name: 'Lock 2', type: 't' },
    });
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    // Stopped cleanly, it leaves DATA_DIR free for a migration.
    expect(await first.stop()).toBe(0);
    first = undefined;
    const migrate = await runMain(['migrate'], env);
    expect(migrate.output).toContain('up to date');
    expect(migrate.code).toBe(0);
    // Three process starts (server, server again, migrate) outlast the default 30 s while the
    // rest of the e2e suite runs beside them.
  }, 90_000);
});
