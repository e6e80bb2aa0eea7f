/**
 * Nothing accepted is lost in embedded mode either: the real `npm start` process is SIGKILLed
 * while points stream in, restarted on the same DATA_DIR, and afterwards every point that got a
 * 202 is stored exactly once (the write-ahead log replays what the pipeline had not yet written).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterDeviceDocument, TelemetryDocument } from '../generated/graphql.js';
import { makeDataDir } from '../support/embedded-app.js';
import { createGraphQLClient, eventually, expectData } from '../support/graphql-client.js';
import { streamPoints } from '../support/load.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `src/main.ts` (embedded) the way a user does, and reads the URL and token it prints. */
async function startEmbeddedProcess(dataDir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_DEVICE_PER_SECOND: '100000',
      RATE_LIMIT_DEVICE_BURST: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  const logs: string[] = [];
  const started = await new Promise<{ baseUrl: string; adminToken: string }>((resolve, reject) => {
    let baseUrl: string | undefined;
    const timer = setTimeout(() => reject(new Error(`not ready:\n${logs.join('\n')}`)), 60_000);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        baseUrl ??= /GraphiQL:\s+(http:\/\/\S+)\/graphql/.exec(line)?.[1];
        const token = /"Authorization": "Bearer ([^"]+)"/.exec(line)?.[1];
        if (baseUrl && token) {
          clearTimeout(timer);
          resolve({ baseUrl, adminToken: token });
        }
      });
    }
    void exited.then(() => reject(new Error(`exited before ready:\n${logs.join('\n')}`)));
  });
  return {
    ...started,
    logs,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const DEVICES = 5;
const POINTS_PER_DEVICE = 10_000;
const BASE_TS = Date.UTC(2026, 7, 1);

describe('embedded mode: no loss when the process is SIGKILLed', () => {
  let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
  let app: Awaited<ReturnType<typeof startEmbeddedProcess>>;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    app = await startEmbeddedProcess(dataDir.dir);
  });
  afterAll(async () => {
    await app?.stop();
    await dataDir?.remove();
  });

  it('stores every 202-acknowledged point exactly once after a kill and restart', async () => {
    const gql = createGraphQLClient(app.baseUrl, app.adminToken);
    const devices: { id: string; token: string }[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const data = await expectData(
        gql(RegisterDeviceDocument, {
          input: { externalId: `kill-${i}`, name: `Kill ${i}`, type: 'test' },
        }),
      );
      devices.push({ id: data.registerDevice.device.id, token: data.registerDevice.token });
    }

    // The load helper retries what got no answer, so after the restart it re-sends the batches
    // the kill cut off; points it counted as accepted are never sent again.
    const ingest = { url: app.baseUrl };
    let acceptedAtKill: number | undefined;
    let restarted: Promise<void> | undefined;
    const result = await streamPoints({
      get ingestUrl() {
        return ingest.url;
      },
      devices,
      pointsPerDevice: POINTS_PER_DEVICE,
      batchSize: 250,
      concurrency: 8,
      baseTs: BASE_TS,
      onAccepted: (accepted) => {
        if (acceptedAtKill === undefined && accepted >= 20_000) {
          acceptedAtKill = accepted;
          restarted = app.kill().then(async () => {
            app = await startEmbeddedProcess(dataDir.dir);
            ingest.url = app.baseUrl;
          });
        }
      },
    });
    await restarted;
    expect(acceptedAtKill).toBeGreaterThanOrEqual(20_000);
    expect(result.accepted).toBe(DEVICES * POINTS_PER_DEVICE);

    const query = createGraphQLClient(app.baseUrl, app.adminToken);
    const stored = async (id: string) => {
      const data = await expectData(
        query(TelemetryDocument, {
          id,
          metrics: ['seq'],
          from: new Date(BASE_TS).toISOString(),
          to: new Date(BASE_TS + 86_400_000).toISOString(),
          every: '1d',
          aggregates: ['COUNT', 'SUM'],
        }),
      );
      const seq = data.device?.telemetry[0]?.metrics.find((m) => m.metric === 'seq');
      return { count: seq?.count ?? 0, sum: seq?.sum ?? 0 };
    };
    const expected = {
      count: POINTS_PER_DEVICE,
      sum: (POINTS_PER_DEVICE * (POINTS_PER_DEVICE - 1)) / 2,
    };
    const all = () => Promise.all(devices.map((device) => stored(device.id)));
    await eventually(
      async () => ((await all()).every((s) => s.count === expected.count) ? true : undefined),
      30_000,
      'every accepted point stored',
    ).catch(() => undefined);
    // Count and sum of `seq` together: each of 0..N-1 present, none twice.
    expect(await all()).toEqual(devices.map(() => expected));
  }, 240_000);
});
