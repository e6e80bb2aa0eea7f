/**
 * Embedded-mode ingest (issue 13, goal 4): points/s accepted (202, in the write-ahead log) and
 * stored (queryable), beside two baselines measured in the same run on the same rows (one per
 * metric: 2 per point): the raw DuckDB appender appending them in the pipeline's batches of
 * 5,000 points (the floor; goal: stored ≥ 0.5× it), and the DuckDB telemetry store's own
 * `store.write` of the same batches (what the store alone costs). The app runs as a child
 * process, as `npm start` runs it, so this process's HTTP client does not share its event loop.
 * (Query speed: bench/graphql-page.ts.)
 *
 *   npx tsx bench/embedded.ts [--points 200000] [--interval-ms 1000] [--profile]
 *
 * A device's points are `--interval-ms` apart (once a second by default, as most devices report;
 * 1 ms is a high-rate device, whose every rollup refresh recomputes a minute of thousands of
 * points).
 *
 * --profile runs the app under `node --cpu-prof` and prints its self time by package.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDuckDbTelemetryStore } from '../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import type { TelemetryPoint } from '../src/domain/telemetry.js';
import { DevicesDocument, RegisterDeviceDocument } from '../test/generated/graphql.js';
import { makeDataDir } from '../test/support/embedded-app.js';
import { createGraphQLClient, expectData } from '../test/support/graphql-client.js';
import { streamPoints } from '../test/support/load.js';
import { startEmbeddedProcess } from '../test/support/processes.js';
import { appendRawMs } from './support/duckdb-appender-floor.js';
import { cpuSeconds } from './support/process-stats.js';
import { summariseProfile } from './support/cpu-profile-summary.js';
import { reportFigures } from './support/report.js';

const { values: flags } = parseArgs({
  options: {
    points: { type: 'string', default: '200000' },
    'interval-ms': { type: 'string', default: '1000' },
    profile: { type: 'boolean', default: false },
  },
});
const DEVICES = 50;
const PER_REQUEST = 500;
/** The pipeline's batch (PIPELINE_BATCH_SIZE's default), for both baselines. */
const BATCH = 5_000;
const BASE_TS = Date.UTC(2026, 0, 1);
const perDevice = Math.floor(Number(flags.points) / DEVICES);
/** Between a device's points: once a second, as most devices report; 1 for high-rate ones. */
const INTERVAL_MS = Number(flags['interval-ms']);

/** The points test/support/load.ts sends, device after device in request-sized runs. */
function samePoints(deviceIds: string[]): TelemetryPoint[] {
  const points: TelemetryPoint[] = [];
  for (let from = 0; from < perDevice; from += PER_REQUEST) {
    for (const deviceId of deviceIds) {
      for (let seq = from; seq < Math.min(from + PER_REQUEST, perDevice); seq++) {
        points.push({
          orgId: 'baseline',
          deviceId,
          ts: BASE_TS + seq * INTERVAL_MS,
          metrics: { seq, value: seq % 97 },
        });
      }
    }
  }
  return points;
}

const batchesOf = (points: TelemetryPoint[]) =>
  Array.from({ length: Math.ceil(points.length / BATCH) }, (_, i) =>
    points.slice(i * BATCH, (i + 1) * BATCH),
  );

async function storeWriteSeconds(file: string, points: TelemetryPoint[]): Promise<number> {
  const store = await createDuckDbTelemetryStore({ path: file });
  const started = performance.now();
  for (const batch of batchesOf(points)) await store.write(batch);
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return seconds;
}

const profileDir = flags.profile ? await mkdtemp(path.join(os.tmpdir(), 'bench-embedded-')) : '';
const dataDir = await makeDataDir();
const app = await startEmbeddedProcess(
  {
    DATA_DIR: dataDir.dir,
    RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
    RATE_LIMIT_DEVICE_BURST: '1000000',
  },
  profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  // As `npm start` runs it: plain JavaScript, so a profile names functions by file and line.
  ['scripts/start.mjs'],
);
const gql = createGraphQLClient(app.baseUrl, app.adminToken);
let stopped = false;
/** The ingest, for --profile: the app's start-up and the device registrations left out. */
const profileWindow = { from: 0n, to: 0n };
try {
  const devices = [];
  for (let i = 0; i < DEVICES; i++) {
    const data = await expectData(
      gql(RegisterDeviceDocument, {
        input: { externalId: `bench-${i}`, name: `Bench ${i}`, type: 'bench' },
      }),
    );
    devices.push({ id: data.registerDevice.device.id, token: data.registerDevice.token });
  }
  const started = performance.now();
  profileWindow.from = process.hrtime.bigint();
  const appCpuBefore = await cpuSeconds(app.child.pid!);
  const loadCpuBefore = process.cpuUsage();
  const result = await streamPoints({
    ingestUrl: app.baseUrl,
    devices,
    pointsPerDevice: perDevice,
    batchSize: PER_REQUEST,
    concurrency: 8,
    baseTs: BASE_TS,
    intervalMs: INTERVAL_MS,
  });
  const acceptedSeconds = (performance.now() - started) / 1000;
  // Stored: every device's latest `seq` is its last point's.
  for (;;) {
    const page = await expectData(gql(DevicesDocument, { first: DEVICES }));
    const done = page.devices.edges.every((edge) =>
      edge.node.latest.some(
        (reading) => reading.metric === 'seq' && reading.value === perDevice - 1,
      ),
    );
    if (done) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const storedSeconds = (performance.now() - started) / 1000;
  profileWindow.to = process.hrtime.bigint();
  const appCpu = (await cpuSeconds(app.child.pid!))! - appCpuBefore!;
  const loadCpu = process.cpuUsage(loadCpuBefore);
  await app.stop();
  stopped = true;

  const points = samePoints(devices.map((device) => device.id));
  const floorSeconds =
    (await appendRawMs(path.join(dataDir.dir, 'floor.duckdb'), batchesOf(points))) / 1000;
  const storeSeconds = await storeWriteSeconds(path.join(dataDir.dir, 'store.duckdb'), points);

  const rate = (seconds: number) => result.accepted / seconds;
  const show = (seconds: number) => Math.round(rate(seconds)).toLocaleString('en');
  console.log(`ingest: ${result.accepted} points (2 metrics each) from ${DEVICES} devices,`);
  console.log(
    `  ${INTERVAL_MS} ms apart, ${PER_REQUEST} per request, 8 requests at a time; ` +
      `baselines in ${BATCH}-point batches`,
  );
  console.log(
    `  CPU while ingesting: the app ${appCpu.toFixed(1)} s, the load (this process) ` +
      `${((loadCpu.user + loadCpu.system) / 1e6).toFixed(1)} s, in ${storedSeconds.toFixed(1)} s`,
  );
  console.log(`  accepted (202):                  ${show(acceptedSeconds)} points/s`);
  console.log(`  stored and queryable:            ${show(storedSeconds)} points/s`);
  console.log(`  raw DuckDB appender, same rows:  ${show(floorSeconds)} points/s`);
  console.log(`  DuckDB store.write, same batches: ${show(storeSeconds)} points/s`);
  console.log(`  stored / appender:               ${(floorSeconds / storedSeconds).toFixed(2)}`);
  const floor = { baselineName: 'raw DuckDB appender, same rows', baseline: rate(floorSeconds) };
  await reportFigures([
    {
      name: 'accepted (202)',
      unit: 'points/s',
      ours: rate(acceptedSeconds),
      ...floor,
      better: 'higher',
    },
    {
      name: 'stored and queryable',
      unit: 'points/s',
      ours: rate(storedSeconds),
      ...floor,
      better: 'higher',
      // Issue 13, goal 4.
      goal: '≥ 0.50',
      met: floorSeconds / storedSeconds >= 0.5,
    },
    {
      name: 'DuckDB store.write alone',
      unit: 'points/s',
      ours: rate(storeSeconds),
      ...floor,
      better: 'higher',
    },
  ]);
} finally {
  if (!stopped) await app.stop();
  await dataDir.remove();
}
if (profileDir) {
  const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile')).sort();
  if (file) console.log(await summariseProfile(path.join(profileDir, file), 40, profileWindow));
  await rm(profileDir, { recursive: true, force: true });
}
