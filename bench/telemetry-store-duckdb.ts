/**
 * The embedded DuckDB TelemetryStore against a bare DuckDB appender, side by side in one run
 * (docs/architecture.md: the appender takes ~0.99M rows/s here, INSERT OR REPLACE ~154K rows/s).
 * Both write the same rows in the same batches into a file database. The store's rate is given
 * twice: committed (store.write resolved), and rolled up (its rollups, recomputed in the
 * background, caught up: the first rollup read waits for them). Then latest() for 100 devices
 * and a one-day, one-minute aggregate are timed on the store. Beside the store's write, the
 * longest it held the event loop: what the embedded app's requests and live subscribers wait.
 *
 *   npx tsx bench/telemetry-store-duckdb.ts [points]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createDuckDbTelemetryStore } from '../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { AGGREGATES, type TelemetryPoint } from '../src/domain/telemetry.js';
import { aggregateOne } from '../test/support/aggregate-one.js';
import { appendRawMs } from './support/duckdb-appender-floor.js';
import { reportFigures } from './support/report.js';

const POINTS = Number(process.argv[2] ?? 100_000);
const DEVICES = 100;
const BATCH = 5_000;
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const ORG = 'bench-org';
const deviceIds = Array.from({ length: DEVICES }, (_, i) => `device-${i}`);

/** Devices report in turn, so each device's points spread evenly over one day. */
function makePoints(): TelemetryPoint[] {
  const perDevice = Math.ceil(POINTS / DEVICES);
  return Array.from({ length: POINTS }, (_, i) => {
    const step = Math.floor(i / DEVICES);
    return {
      orgId: ORG,
      deviceId: deviceIds[i % DEVICES]!,
      ts: START + Math.floor((step * DAY) / perDevice),
      metrics: {
        temperature: 20 + (i % 100) / 10,
        humidity: 40 + (i % 37),
        battery: 3.7 - (i % 50) / 1000,
        door_open: i % 7 === 0,
        mode: i % 3 === 0 ? 'eco' : 'comfort',
      },
    };
  });
}

/** A question of whole hours, answered from the rollups. */
const hourly = {
  orgId: ORG,
  metrics: ['temperature'],
  from: START,
  to: START + DAY,
  every: 3_600_000,
  aggregates: ['mean' as const],
};

const batches = (points: TelemetryPoint[]) =>
  Array.from({ length: Math.ceil(points.length / BATCH) }, (_, i) =>
    points.slice(i * BATCH, (i + 1) * BATCH),
  );

/** `task`'s duration, and the longest it held the event loop (ms). */
async function heldWhile(task: () => Promise<unknown>) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  await task();
  const ms = performance.now() - started;
  delay.disable();
  return { ms, heldMs: delay.max / 1e6 };
}

async function timeMedian(runs: number, task: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await task();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const directory = await mkdtemp(path.join(tmpdir(), 'bench-telemetry-'));
try {
  const points = makePoints();
  const rows = points.length * 5;
  const baselineMs = await appendRawMs(path.join(directory, 'baseline.duckdb'), batches(points));

  const store = await createDuckDbTelemetryStore({ path: path.join(directory, 'store.duckdb') });
  let started = performance.now();
  const written = await heldWhile(async () => {
    for (const batch of batches(points)) await store.write(batch);
  });
  const storeMs = written.ms;
  // A read of whole hours waits for the rollups to catch up with every write: stored and rolled up.
  await aggregateOne(store, { ...hourly, deviceId: deviceIds[0]! });
  const rolledUpMs = performance.now() - started;

  // At-least-once delivery: the whole data set once more; answers must not change.
  started = performance.now();
  for (const batch of batches(points)) await store.write(batch);
  const redeliveryMs = performance.now() - started;

  const latestMs = await timeMedian(21, () => store.latest(ORG, deviceIds));
  const latest = await store.latest(ORG, deviceIds);
  const aggregateQuery = {
    orgId: ORG,
    deviceId: deviceIds[0]!,
    metrics: ['temperature', 'humidity', 'battery'],
    from: START,
    to: START + DAY,
    every: 60_000,
    aggregates: [...AGGREGATES],
  };
  const aggregateMs = await timeMedian(21, () => aggregateOne(store, aggregateQuery));
  const buckets = await aggregateOne(store, aggregateQuery);
  await store.close();

  const rate = (ms: number) => Math.round(rows / (ms / 1000));
  console.log(`${points.length} points x 5 metrics = ${rows} rows, batches of ${BATCH} points`);
  console.log(`baseline appender     ${rate(baselineMs).toLocaleString('en')} rows/s`);
  console.log(`store.write           ${rate(storeMs).toLocaleString('en')} rows/s`);
  console.log(`ratio store/baseline  ${(baselineMs / storeMs).toFixed(2)}`);
  console.log(`event loop held, longest: ${written.heldMs.toFixed(1)} ms during store.write`);
  console.log(`written and rolled up ${rate(rolledUpMs).toLocaleString('en')} rows/s`);
  console.log(`ratio rolled up/base  ${(baselineMs / rolledUpMs).toFixed(2)}`);
  console.log(`re-delivered write    ${rate(redeliveryMs).toLocaleString('en')} rows/s`);
  console.log(
    `latest(${DEVICES} devices)   ${latestMs.toFixed(2)} ms median (${latest.size} devices answered)`,
  );
  console.log(
    `aggregate 1 day/1 min ${aggregateMs.toFixed(2)} ms median (${buckets.length} buckets, 3 metrics x 11 aggregates)`,
  );
  const appender = { baselineName: 'bare DuckDB appender', baseline: rate(baselineMs) };
  await reportFigures([
    { name: 'store.write', unit: 'rows/s', ours: rate(storeMs), ...appender, better: 'higher' },
    {
      name: 'written and rolled up',
      unit: 'rows/s',
      ours: rate(rolledUpMs),
      ...appender,
      better: 'higher',
    },
    {
      name: 're-delivered write',
      unit: 'rows/s',
      ours: rate(redeliveryMs),
      ...appender,
      better: 'higher',
    },
  ]);
} finally {
  await rm(directory, { recursive: true, force: true });
}
