/**
 * GraphQL query throughput for a page of 50 devices with their latest values (DESIGN.md:
 * target ≥ 0.8× Mercurius with graphql-jit), measured as a ratio in one run:
 *
 *   (a) our embedded app, `node --import tsx src/main.ts` in a child process (PGlite + DuckDB);
 *   (b) the baseline: Mercurius + graphql-jit serving the same shape from memory, also a child;
 *   also `{ __typename }` on our app: the floor of HTTP + auth + yoga + plugins alone.
 *
 * Both servers stay up; rounds alternate between them and only one is loaded at a time, by
 * autocannon (10 connections) in this process.
 *
 *   npx tsx bench/graphql-page.ts [--duration 5] [--rounds 3] [--profile]
 *
 * --profile runs the app under `node --cpu-prof` and prints its self time by package.
 */
import autocannon from 'autocannon';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { streamPoints } from '../test/support/load.js';
import { startChild, type RunningChild } from '../test/support/child-process.js';
import { startEmbeddedProcess } from '../test/support/processes.js';
import { summariseProfile } from './support/cpu-profile-summary.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
  },
});
const DURATION = Number(flags.duration);
const ROUNDS = Number(flags.rounds);
const WARMUP = 2;
const CONNECTIONS = 10;
const PAGE = 50;
const POINTS_PER_DEVICE = 20;

const PAGE_QUERY = `{ devices(first: ${PAGE}) { edges { node { id name latest { metric value ts } } } } }`;
const TYPENAME_QUERY = '{ __typename }';

interface Target {
  url: string;
  headers: Record<string, string>;
}

interface Measured {
  rate: number;
  p50: number;
  p99: number;
}

async function post(target: Target, query: string) {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: JSON.stringify({ query }),
  });
  const json = (await response.json()) as { data?: unknown; errors?: unknown };
  if (!response.ok || json.errors) {
    throw new Error(`${response.status}: ${JSON.stringify(json.errors ?? json)}`);
  }
  return json.data;
}

/** The page must be full and every device must carry its latest values before we load it. */
async function checkPage(target: Target) {
  const data = (await post(target, PAGE_QUERY)) as {
    devices: { edges: { node: { latest: unknown[] } }[] };
  };
  const edges = data.devices.edges;
  return edges.length === PAGE && edges.every((edge) => edge.node.latest.length === 2);
}

async function load(target: Target, query: string): Promise<Measured> {
  const options = {
    url: target.url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', ...target.headers },
    body: JSON.stringify({ query }),
    connections: CONNECTIONS,
  };
  await autocannon({ ...options, duration: WARMUP });
  const result = await autocannon({ ...options, duration: DURATION });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${target.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    rate: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

function startApp(dataDir: string, profileDir?: string) {
  return startEmbeddedProcess(
    {
      DATA_DIR: dataDir,
      RATE_LIMIT_USER_PER_SECOND: '1000000',
      RATE_LIMIT_USER_BURST: '1000000',
      RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
      RATE_LIMIT_DEVICE_BURST: '1000000',
    },
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
}

async function seedApp(target: Target, baseUrl: string) {
  const devices: { id: string; token: string }[] = [];
  for (let i = 0; i < PAGE; i++) {
    const data = (await post(
      target,
      `mutation { registerDevice(input: { externalId: "bench-${i}", name: "Bench ${i}", type: "bench" }) { device { id } token } }`,
    )) as { registerDevice: { device: { id: string }; token: string } };
    devices.push({ id: data.registerDevice.device.id, token: data.registerDevice.token });
  }
  await streamPoints({
    ingestUrl: baseUrl,
    devices,
    pointsPerDevice: POINTS_PER_DEVICE,
    batchSize: POINTS_PER_DEVICE,
    concurrency: 4,
    baseTs: Date.UTC(2026, 0, 1),
  });
  for (let attempt = 0; !(await checkPage(target)); attempt++) {
    if (attempt > 100) throw new Error('latest values never showed up');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

function report(label: string, runs: Measured[]) {
  const measured = {
    label,
    rate: median(runs.map((run) => run.rate)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
  };
  console.log(
    `${label.padEnd(44)} ${measured.rate.toFixed(0).padStart(6)} req/s  p50 ${measured.p50} ms  p99 ${measured.p99} ms` +
      `  (rounds: ${runs.map((run) => run.rate.toFixed(0)).join(', ')})`,
  );
  return measured;
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-graphql-page-'));
const profileDir = flags.profile ? path.join(dataDir, 'profile') : undefined;
const servers: RunningChild[] = [];
try {
  const app = await startApp(path.join(dataDir, 'data'), profileDir);
  servers.push(app);
  const ours = {
    url: `${app.baseUrl}/graphql`,
    headers: { authorization: `Bearer ${app.adminToken}` },
  };
  await seedApp(ours, app.baseUrl);

  const baselineServer = await startChild({
    name: 'Mercurius baseline',
    args: ['--import', 'tsx', 'bench/support/mercurius-baseline-server.ts', String(PAGE)],
    env: {},
    ready(line, found) {
      const port = /^\{"port":(\d+)\}$/.exec(line)?.[1];
      if (port) found.url = `http://127.0.0.1:${port}/graphql`;
      return Boolean(found.url);
    },
  });
  servers.push(baselineServer);
  const baseline = { url: baselineServer.found.url!, headers: {} };
  if (!(await checkPage(baseline))) throw new Error('baseline page is not the expected shape');

  // Rounds alternate between the servers (only one loaded at a time), so a neighbour's load on
  // this machine weighs on both sides of the ratio alike; medians are reported.
  const runs = { page: [] as Measured[], typename: [] as Measured[], baseline: [] as Measured[] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.page.push(await load(ours, PAGE_QUERY));
    // Profiling looks at the page query alone.
    if (!profileDir) runs.typename.push(await load(ours, TYPENAME_QUERY));
    runs.baseline.push(await load(baseline, PAGE_QUERY));
  }
  const page = report('ours (embedded): devices(first: 50) + latest', runs.page);
  if (!profileDir) report('ours (embedded): { __typename }', runs.typename);
  const mercurius = report('baseline: Mercurius + graphql-jit, in memory', runs.baseline);
  const ratios = runs.page.map((run, i) => run.rate / runs.baseline[i]!.rate);
  console.log(
    `\nratio ours / Mercurius+JIT: ${(page.rate / mercurius.rate).toFixed(3)} (target ≥ 0.80; ` +
      `per round: ${ratios.map((ratio) => ratio.toFixed(3)).join(', ')})` +
      `\n(${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, node ${process.version}, ` +
      `${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s after ${WARMUP} s warm-up each)`,
  );
  await Promise.all(servers.splice(0).map((server) => server.stop()));

  if (profileDir) {
    const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('the app wrote no CPU profile');
    console.log(`\nCPU profile of the app (${path.join(profileDir, file)}):`);
    console.log(await summariseProfile(path.join(profileDir, file), 40));
  }
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  if (!profileDir) await rm(dataDir, { recursive: true, force: true });
}
