/**
 * Fleet analytics on each store, beside the same question written by hand over raw points in the
 * same run (issue "Fleet analytics"; docs/architecture.md "Performance goals"):
 *
 *   1. one device, the whole span at 1 minute, MEAN/MIN/MAX;
 *   2. fleet MEAN per 5 minutes over the span, grouped by `site`;
 *   3. top 10 devices by MAX over the span;
 *   4. one device, its whole chart range (a year on the full preset), `maxPoints: 500`;
 *   5. `fleet.latest` SUM of every device's newest value, grouped by `site`.
 *
 * Ours is the GraphQL query through the resolvers, in this process (yoga's fetch, no HTTP), as
 * the apps compose the api: PGlite metadata behind the device metadata cache (versions in
 * process for DuckDB, as the embedded app; in Redis for InfluxDB, as production) and the store
 * under test (DuckDB in a temp file, or InfluxDB in a database of its own behind the Redis
 * latest-value cache). The baseline is the question asked of the same engine directly, over the
 * same points kept the way one would by hand: a wide DuckDB table (device, site, ts, one column
 * per metric), an InfluxDB measurement tagged by device and site. Data is written straight into
 * each store.
 *
 *   npx tsx bench/fleet-analytics.ts [--preset quick|full] [--store duckdb|influx|all] [--runs 20]
 *     [--data DIR]
 *
 * `--data DIR` keeps the data set (metadata, the store's and the baseline's data) in DIR and,
 * when DIR already holds one of the same preset, asks the questions of it without writing it
 * again: the full preset takes 6 minutes to write into DuckDB and over 30 into InfluxDB.
 *
 * quick: 100 devices × 6 h at one point per 10 s (3 metrics, 10 sites) and 2 devices × 30 days at
 * one point per minute. full: 1,000 devices × 24 h (8.64 M points) and 10 devices × 1 year.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createInProcessLiveHub } from '../src/adapters/live-hub/in-process-live-hub.js';
import { createInProcessMetadataVersions } from '../src/adapters/device-metadata-versions/in-process-metadata-versions.js';
import { createRedisMetadataVersions } from '../src/adapters/device-metadata-versions/redis-metadata-versions.js';
import { withDeviceMetadataCache } from '../src/adapters/device-repository/device-metadata-cache.js';
import { createPgliteDatabase } from '../src/adapters/prisma/pglite.js';
import { createDuckDbTelemetryStore } from '../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { createInfluxTelemetryStore } from '../src/adapters/telemetry-store/influx-telemetry-store.js';
import { withRedisLatestCache } from '../src/adapters/telemetry-store/redis-latest-cache.js';
import type { TelemetryPoint } from '../src/domain/telemetry.js';
import type { MetadataDatabase } from '../src/ports/database.js';
import type { DeviceMetadataVersions } from '../src/ports/device-metadata-versions.js';
import type { TelemetryStore } from '../src/ports/telemetry-store.js';
import { createInProcessApi } from '../test/support/in-process-api.js';
import { findService, uniqueSuffix } from '../test/support/services.js';
import { waitUntilQuiet } from './support/quiet.js';
import { reportFigures, type Figure } from './support/report.js';
import { percentile } from './support/stats.js';

const { values: flags } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    store: { type: 'string', default: 'all' },
    runs: { type: 'string', default: '20' },
    data: { type: 'string' },
  },
});
const PRESETS = {
  quick: { devices: 100, hours: 6, chartDevices: 2, chartDays: 30 },
  full: { devices: 1_000, hours: 24, chartDevices: 10, chartDays: 365 },
} as const;
const preset = PRESETS[flags.preset as keyof typeof PRESETS];
if (!preset) throw new Error(`--preset is quick or full, not ${flags.preset}`);
if (!['duckdb', 'influx', 'all'].includes(flags.store)) {
  throw new Error(`--store is duckdb, influx or all, not ${flags.store}`);
}
const RUNS = Number(flags.runs);
const WARMUP = 3;
const SITES = 10;
const STEP_MS = 10_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const SPAN_END = Date.UTC(2026, 5, 1);
const SPAN_START = SPAN_END - preset.hours * 3_600_000;
const CHART_START = SPAN_END - preset.chartDays * DAY;
const DATA = flags.data === undefined ? undefined : path.resolve(flags.data);
const ORG = await dataSetOrg();
const BATCH = 10_000;
/** The api's device metadata cache at its defaults (DEVICE_CACHE_ENTRIES, DEVICE_CACHE_TTL_MS). */
const METADATA_CACHE = { maxEntries: 50_000, ttlMs: 60_000 };

interface Fleet {
  devices: { id: string; site: string }[];
  charts: string[];
}

/**
 * A JSON file --data keeps beside the data (the organization, each store's fleet once written,
 * the InfluxDB database's name), or undefined when there is none yet.
 */
async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The data set's organization: the one kept in --data, or a new one. */
async function dataSetOrg(): Promise<string> {
  if (DATA === undefined) return `bench-fleet-${uniqueSuffix()}`;
  const file = path.join(DATA, 'data-set.json');
  const kept = await readJson<{ org: string; preset: string }>(file);
  if (kept && kept.preset !== flags.preset) {
    throw new Error(`${DATA} holds the ${kept.preset} preset, not ${flags.preset}`);
  }
  if (kept) return kept.org;
  const org = `bench-fleet-${uniqueSuffix()}`;
  await mkdir(DATA, { recursive: true });
  await writeFile(file, JSON.stringify({ org, preset: flags.preset }));
  return org;
}

/**
 * The directory in --data of a store's data set, emptied unless it holds a whole one (its
 * fleet.json is written last), so a run cut short starts again from nothing.
 */
async function keptDirectory(store: string): Promise<string> {
  const directory = path.join(DATA!, store);
  if (!(await readJson(path.join(directory, 'fleet.json')))) {
    await rm(directory, { recursive: true, force: true });
  }
  await mkdir(directory, { recursive: true });
  return directory;
}

/** The fleet's points in time order, batch by batch (never all in memory at once). */
function* fleetBatches(fleet: Fleet): Generator<TelemetryPoint[]> {
  let batch: TelemetryPoint[] = [];
  for (let ts = SPAN_START; ts < SPAN_END; ts += STEP_MS) {
    fleet.devices.forEach((device, d) => {
      const phase = (ts / STEP_MS + d * 7) % 360;
      batch.push({
        orgId: ORG,
        deviceId: device.id,
        ts,
        metrics: {
          power: Math.round(1_000 + 500 * Math.sin((phase * Math.PI) / 180)) / 10,
          temperature: Math.round(200 + ((d * 13 + ts / STEP_MS) % 150)) / 10,
          humidity: 40 + ((d + ts / STEP_MS) % 30),
        },
      });
    });
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  for (const id of fleet.charts) {
    for (let ts = CHART_START; ts < SPAN_END; ts += MINUTE) {
      batch.push({
        orgId: ORG,
        deviceId: id,
        ts,
        metrics: { temperature: Math.round(150 + ((ts / MINUTE) % 200)) / 10 },
      });
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

const siteOf = (fleet: Fleet) => new Map(fleet.devices.map((device) => [device.id, device.site]));

interface Question {
  name: string;
  ours: { query: string; variables: Record<string, unknown> };
}

function questions(fleet: Fleet): Question[] {
  const span = { from: new Date(SPAN_START).toISOString(), to: new Date(SPAN_END).toISOString() };
  const chart = { from: new Date(CHART_START).toISOString(), to: span.to };
  return [
    {
      name: '1 one device, 1m MEAN/MIN/MAX',
      ours: {
        query: `query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) {
          telemetry(metrics: ["temperature"], from: $from, to: $to, every: "1m",
            aggregates: [MEAN, MIN, MAX]) { start metrics { mean min max } } } }`,
        variables: { id: fleet.devices[0]!.id, ...span },
      },
    },
    {
      name: '2 fleet 5m MEAN by site',
      ours: {
        query: `query ($from: DateTime!, $to: DateTime!) { fleet(filter: { type: "meter" }) {
          telemetry(metrics: ["power"], from: $from, to: $to, every: "5m",
            groupBy: { label: "site" }) { series { group { value } buckets { start metrics { mean } } } } } }`,
        variables: span,
      },
    },
    {
      name: '3 top 10 by MAX',
      ours: {
        query: `query ($from: DateTime!, $to: DateTime!) { fleet(filter: { type: "meter" }) {
          top(metric: "temperature", aggregate: MAX, from: $from, to: $to, n: 10) { deviceId value } } }`,
        variables: span,
      },
    },
    {
      name: '4 one device, chart maxPoints 500',
      ours: {
        query: `query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) {
          telemetry(metrics: ["temperature"], from: $from, to: $to, maxPoints: 500) { start metrics { mean } } } }`,
        variables: { id: fleet.charts[0]!, ...chart },
      },
    },
    {
      name: '5 fleet.latest SUM by site',
      ours: {
        query: `{ fleet(filter: { type: "meter" }) { latest(metrics: ["power"], aggregates: [SUM],
          groupBy: { label: "site" }) { group { value } metrics { sum } } } }`,
        variables: {},
      },
    },
  ];
}

/** The window `maxPoints: 500` picks for the chart range (1d for a year, 2h for 30 days). */
const chartEvery = preset.chartDays >= 365 ? DAY : 2 * 3_600_000;

interface Baseline {
  write(batch: TelemetryPoint[], sites: Map<string, string>): Promise<void>;
  /** The hand-written question, by the number of `questions()`. */
  ask(question: number, fleet: Fleet): Promise<unknown>;
  close(): Promise<void>;
}

async function duckdbBaseline(file: string): Promise<Baseline> {
  const instance = await DuckDBInstance.create(file);
  const connection: DuckDBConnection = await instance.connect();
  await connection.run(`CREATE TABLE IF NOT EXISTS raw (device_id VARCHAR, site VARCHAR, ts BIGINT,
    power DOUBLE, temperature DOUBLE, humidity DOUBLE)`);
  const run = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const range = `ts >= ${SPAN_START} AND ts < ${SPAN_END}`;
  return {
    async write(batch, sites) {
      const appender = await connection.createAppender('raw');
      for (const point of batch) {
        appender.appendVarchar(point.deviceId);
        appender.appendVarchar(sites.get(point.deviceId) ?? '');
        appender.appendBigInt(BigInt(point.ts));
        for (const metric of ['power', 'temperature', 'humidity']) {
          const value = point.metrics[metric];
          if (typeof value === 'number') appender.appendDouble(value);
          else appender.appendNull();
        }
        appender.endRow();
      }
      appender.closeSync();
    },
    ask(question, fleet) {
      switch (question) {
        case 0:
          return run(`SELECT ts // ${MINUTE} AS b, avg(temperature), min(temperature), max(temperature)
            FROM raw WHERE device_id = ${quote(fleet.devices[0]!.id)} AND ${range}
            GROUP BY b ORDER BY b`);
        case 1:
          return run(`SELECT site, ts // ${5 * MINUTE} AS b, avg(power) FROM raw
            WHERE ${range} AND site <> '' GROUP BY site, b ORDER BY site, b`);
        case 2:
          return run(`SELECT device_id, max(temperature) AS m FROM raw WHERE ${range}
            AND site <> '' GROUP BY device_id ORDER BY m DESC, device_id LIMIT 10`);
        case 3:
          return run(`SELECT ts // ${chartEvery} AS b, avg(temperature) FROM raw
            WHERE device_id = ${quote(fleet.charts[0]!)} AND ts >= ${CHART_START} AND ts < ${SPAN_END}
            GROUP BY b ORDER BY b`);
        default:
          return run(`SELECT site, sum(p) FROM (SELECT device_id, site, arg_max(power, ts) AS p
            FROM raw WHERE site <> '' GROUP BY device_id, site) GROUP BY site ORDER BY site`);
      }
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function influxBaseline(url: string, database: string): Promise<Baseline> {
  const query = async (q: string) => {
    const response = await fetch(`${url}/query?db=${database}&epoch=ms`, {
      method: 'POST',
      body: new URLSearchParams({ q }),
    });
    if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
    return response.json();
  };
  const range = `time >= ${SPAN_START}ms AND time < ${SPAN_END}ms`;
  return {
    async write(batch, sites) {
      const lines = batch.map((point) => {
        const site = sites.get(point.deviceId) ?? 'chart';
        const fields = Object.entries(point.metrics)
          .map(([metric, value]) => `${metric}=${String(value)}`)
          .join(',');
        return `raw,device_id=${point.deviceId},site=${site} ${fields} ${point.ts}`;
      });
      const response = await fetch(`${url}/write?db=${database}&precision=ms`, {
        method: 'POST',
        body: lines.join('\n'),
      });
      if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
    },
    ask(question, fleet) {
      switch (question) {
        case 0:
          return query(`SELECT MEAN(temperature), MIN(temperature), MAX(temperature) FROM raw
            WHERE device_id = '${fleet.devices[0]!.id}' AND ${range} GROUP BY time(1m) fill(none)`);
        case 1:
          return query(`SELECT MEAN(power) FROM raw WHERE ${range} AND site <> 'chart'
            GROUP BY time(5m), site fill(none)`);
        case 2:
          return query(`SELECT TOP(m, device_id, 10) FROM (SELECT MAX(temperature) AS m FROM raw
            WHERE ${range} AND site <> 'chart' GROUP BY device_id)`);
        case 3:
          return query(`SELECT MEAN(temperature) FROM raw WHERE device_id = '${fleet.charts[0]!}'
            AND time >= ${CHART_START}ms AND time < ${SPAN_END}ms
            GROUP BY time(${chartEvery}ms) fill(none)`);
        default:
          return query(`SELECT SUM("last") FROM (SELECT LAST(power) FROM raw WHERE site <> 'chart'
            GROUP BY device_id, site) GROUP BY site`);
      }
    },
    async close() {},
  };
}

/** p50 and p95 of RUNS runs of `work` after WARMUP; `afterWarmup` runs between the two. */
async function timed(work: () => Promise<unknown>, afterWarmup = () => {}) {
  for (let i = 0; i < WARMUP; i++) await work();
  afterWarmup();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

/**
 * The time of each store call our requests made (each of these questions makes one), so the
 * table shows what the API adds to the store's own time.
 */
const storeMs: number[] = [];

function timedStore(store: TelemetryStore): TelemetryStore {
  const timedCall =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        return await call(...args);
      } finally {
        storeMs.push(performance.now() - started);
      }
    };
  return {
    ...store,
    latest: timedCall(store.latest),
    aggregateDevices: timedCall(store.aggregateDevices),
    aggregateGroups: timedCall(store.aggregateGroups),
  };
}

/** Every question's p50 beside its baseline's, for reportFigures. */
const figures: Figure[] = [];

/** The fleet's devices, registered in `database`. */
async function registerFleet(database: MetadataDatabase): Promise<Fleet> {
  await database.devices.ensureOrganization(ORG, ORG);
  const fleet: Fleet = { devices: [], charts: [] };
  for (let i = 0; i < preset.devices; i++) {
    const site = `site-${i % SITES}`;
    const device = await database.devices.createDevice(
      {
        organizationId: ORG,
        externalId: `meter-${i}`,
        name: `Meter ${i}`,
        type: 'meter',
        labels: { site },
      },
      `bench-token-${ORG}-${i}`,
    );
    fleet.devices.push({ id: device.id, site });
  }
  for (let i = 0; i < preset.chartDevices; i++) {
    const device = await database.devices.createDevice(
      { organizationId: ORG, externalId: `chart-${i}`, name: `Chart ${i}`, type: 'chart' },
      `bench-chart-token-${ORG}-${i}`,
    );
    fleet.charts.push(device.id);
  }
  return fleet;
}

/** Writes the fleet's points to the store and the baseline, and waits for the rollups. */
async function writeFleet(name: string, fleet: Fleet, store: TelemetryStore, baseline: Baseline) {
  const sites = siteOf(fleet);
  const writeStarted = performance.now();
  let points = 0;
  for (const batch of fleetBatches(fleet)) {
    await Promise.all([store.write(batch), baseline.write(batch, sites)]);
    points += batch.length;
  }
  const written = performance.now() - writeStarted;
  // A read of whole hours waits for rollups still being computed (DuckDB refreshes them in the
  // background): the time until ours answers from complete rollups.
  await store.aggregateDevices({
    orgId: ORG,
    deviceIds: [fleet.devices[0]!.id],
    metrics: ['power'],
    from: SPAN_START,
    to: SPAN_END,
    every: 3_600_000,
    origin: 0,
    aggregates: ['count'],
  });
  const rolledUp = performance.now() - writeStarted;
  console.log(
    `${name}: ${points.toLocaleString('en')} points written to both in ${(written / 1000).toFixed(1)} s, rolled up in ${(rolledUp / 1000).toFixed(1)} s`,
  );
}

/**
 * The questions asked of `store` and of `baseline`, on the fleet written into them now, or in an
 * earlier run when `kept` (--data) names the store's directory and it holds one.
 */
async function benchStore(
  name: string,
  store: TelemetryStore,
  baseline: Baseline,
  kept: string | undefined,
  versions: DeviceMetadataVersions,
) {
  const database = await createPgliteDatabase({ dataDir: kept });
  try {
    const fleetFile = kept && path.join(kept, 'fleet.json');
    let fleet = fleetFile ? await readJson<Fleet>(fleetFile) : undefined;
    if (fleet) console.log(`${name}: the fleet kept in ${kept}`);
    else {
      fleet = await registerFleet(database);
      await writeFleet(name, fleet, store, baseline);
      if (fleetFile) await writeFile(fleetFile, JSON.stringify(fleet));
    }
    const waited = await waitUntilQuiet();
    console.log(`${name}: quiet ${(waited / 1000).toFixed(1)} s later`);

    const api = createInProcessApi({
      // As the apps compose the api (src/app/embedded.ts, processes.ts).
      devices: withDeviceMetadataCache(database.devices, { ...METADATA_CACHE, versions }),
      apiKeys: database.apiKeys,
      alerts: database.alerts,
      notifications: database.notifications,
      telemetry: timedStore(store),
      live: createInProcessLiveHub(),
    });
    const token = await api.token(ORG, 'viewer');
    const rows: string[] = [];
    for (const [index, question] of questions(fleet).entries()) {
      const ask = async () => {
        const answer = await api.post(token, question.ours);
        if (answer.status !== 200 || answer.text.includes('"errors"')) {
          throw new Error(`${question.name}: ${answer.status} ${answer.text.slice(0, 300)}`);
        }
      };
      const ours = await timed(ask, () => (storeMs.length = 0));
      const inStore = percentile(
        [...storeMs].sort((a, b) => a - b),
        50,
      );
      const theirs = await timed(() => baseline.ask(index, fleet));
      rows.push(
        `| ${name} | ${question.name} | ${ours.p50.toFixed(1)} | ${ours.p95.toFixed(1)} | ${inStore.toFixed(1)} | ${theirs.p50.toFixed(1)} | ${theirs.p95.toFixed(1)} | ${(ours.p50 / theirs.p50).toFixed(2)} |`,
      );
      figures.push({
        name: `${name}: ${question.name}, p50`,
        unit: 'ms',
        ours: ours.p50,
        baselineName: `by hand on ${name}`,
        baseline: theirs.p50,
        better: 'lower',
        note: `p95: ours ${ours.p95.toFixed(1)} ms, by hand ${theirs.p95.toFixed(1)} ms; ours in the store, p50: ${inStore.toFixed(1)} ms`,
      });
    }
    return rows;
  } finally {
    await database.close();
  }
}

async function main() {
  console.log(
    `preset ${flags.preset}: ${preset.devices} devices × ${preset.hours} h every 10 s, ${preset.chartDevices} chart devices × ${preset.chartDays} d every minute; ${RUNS} runs after ${WARMUP} warm-up`,
  );
  const rows: string[] = [];
  if (flags.store !== 'influx') {
    const kept = DATA && (await keptDirectory('duckdb'));
    const directory = kept ?? (await mkdtemp(path.join(tmpdir(), 'bench-fleet-')));
    const store = await createDuckDbTelemetryStore({ path: path.join(directory, 'ours.duckdb') });
    const baseline = await duckdbBaseline(path.join(directory, 'raw.duckdb'));
    try {
      const versions = createInProcessMetadataVersions();
      rows.push(...(await benchStore('DuckDB', store, baseline, kept, versions)));
    } finally {
      await store.close();
      await baseline.close();
      if (!kept) await rm(directory, { recursive: true, force: true });
    }
  }
  if (flags.store !== 'duckdb') {
    const url = await findService('influx');
    if (!url) throw new Error('InfluxDB is not reachable: npm run services:up');
    const kept = DATA && (await keptDirectory('influx'));
    const keptName = kept && path.join(kept, 'database.json');
    const database =
      (keptName && (await readJson<string>(keptName))) ?? `bench_fleet_${uniqueSuffix()}`;
    if (keptName) await writeFile(keptName, JSON.stringify(database));
    const admin = (q: string) =>
      fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
    await admin(`CREATE DATABASE "${database}"`);
    try {
      // As production runs it (src/app/processes.ts): latest values from the Redis cache.
      const redis = await findService('redis');
      if (!redis) throw new Error('Redis is not reachable: npm run services:up');
      const versions = createRedisMetadataVersions({ url: redis });
      const store = withRedisLatestCache(
        createInfluxTelemetryStore({ url, database, timeoutMs: 60_000 }),
        { redis, keyPrefix: `${database}:`, ttlMs: DAY },
      );
      try {
        const baseline = await influxBaseline(url, database);
        rows.push(...(await benchStore('InfluxDB', store, baseline, kept, versions)));
      } finally {
        await store.close();
        await versions.close();
      }
    } finally {
      if (!kept) await admin(`DROP DATABASE "${database}"`);
    }
  }
  console.log(
    '\n| store | question | ours p50 ms | ours p95 ms | in the store p50 ms | by hand p50 ms | by hand p95 ms | ratio (p50) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
  await reportFigures(figures);
}

await main();
