/**
 * GraphQL query throughput for a page of 50 devices with their latest values (issue 13's goals:
 * ≥ 0.5× Mercurius with graphql-jit in memory on both targets, and in production ≥ 1.0× the
 * same-work baseline), measured as ratios in one run:
 *
 *   (a) our app, in a child process: `--target embedded` (default) is `node --import tsx
 *       src/main.ts` (PGlite + DuckDB); `--target production` is the `api` role on PostgreSQL,
 *       InfluxDB and the Redis latest-values cache (the machine's services, a fresh database
 *       of its own; telemetry written straight into InfluxDB); `--target all` runs both;
 *   (b) the baseline: Mercurius + graphql-jit serving the same shape from memory, also a child;
 *   (c) with the production target, the same-work baseline: Mercurius + graphql-jit reading the
 *       same page from the same PostgreSQL (one `pg` query) and Redis (one pipeline);
 *   also `{ __typename }` on our app: the floor of HTTP + auth + yoga + plugins alone.
 *
 * The servers stay up; rounds alternate between them and only one is loaded at a time, by
 * autocannon (10 connections) in this process.
 *
 *   npx tsx bench/graphql-page.ts [--target embedded|production|all] [--duration 5] [--rounds 3]
 *     [--profile]
 *
 * --profile runs our servers under `node --cpu-prof` and prints their self time by package.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { streamPoints } from '../test/support/load.js';
import { startBaselineServer } from './support/baseline-server.js';
import { startEmbeddedProcess } from '../test/support/processes.js';
import { summariseProfile } from './support/cpu-profile-summary.js';
import { startProductionApi } from './support/production-api.js';
import { loadRound } from './support/load-round.js';
import { reportFigures } from './support/report.js';
import { medianRound, type LoadRound } from './support/stats.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    target: { type: 'string', default: 'embedded' },
  },
});
if (!['embedded', 'production', 'all'].includes(flags.target)) {
  throw new Error(`--target is embedded, production or all, not ${flags.target}`);
}
const TARGETS = flags.target === 'all' ? ['embedded', 'production'] : [flags.target];
const DURATION = Number(flags.duration);
const ROUNDS = Number(flags.rounds);
const WARMUP = 2;
const CONNECTIONS = 10;
const PAGE = 50;
const POINTS_PER_DEVICE = 20;

/** Issue 13's goals: of Mercurius in memory on both targets, of the same-work baseline in production. */
const IN_MEMORY_GOAL = 0.5;
const SAME_WORK_GOAL = 1.0;

const PAGE_QUERY = `{ devices(first: ${PAGE}) { edges { node { id name latest { metric value ts } } } } }`;
const TYPENAME_QUERY = '{ __typename }';

interface Target {
  url: string;
  headers: Record<string, string>;
}

/** One of our deployments under test, seeded and checked, with how to take it down. */
interface OurTarget extends Target {
  name: string;
  stop(): Promise<unknown>;
  /** Production: where the same-work baseline reads the same page. */
  sameWork?: { databaseUrl: string; redisUrl: string; organizationId: string };
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

const load = (target: Target, query: string) =>
  loadRound(
    target.url,
    {
      url: target.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: JSON.stringify({ query }),
      connections: CONNECTIONS,
    },
    WARMUP,
    DURATION,
  );

/** Rate limiting stays on (its cost is part of every request) but never refuses the load. */
const UNLIMITED = {
  RATE_LIMIT_USER_PER_SECOND: '1000000',
  RATE_LIMIT_USER_BURST: '1000000',
  RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
  RATE_LIMIT_DEVICE_BURST: '1000000',
};

function startApp(dataDir: string, profileDir?: string) {
  return startEmbeddedProcess({ DATA_DIR: dataDir, ...UNLIMITED }, profileArgs(profileDir));
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

function report(label: string, runs: LoadRound[]) {
  const measured = medianRound(runs);
  console.log(
    `${label.padEnd(44)} ${measured.rate.toFixed(0).padStart(6)} req/s  p50 ${measured.p50} ms  p99 ${measured.p99} ms` +
      `  (rounds: ${runs.map((run) => run.rate.toFixed(0)).join(', ')})`,
  );
  return measured;
}

const profileArgs = (dir: string | undefined) =>
  dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];

async function startEmbeddedTarget(dataDir: string, profileDir?: string): Promise<OurTarget> {
  const app = await startApp(path.join(dataDir, 'data'), profileDir);
  const target = {
    url: `${app.baseUrl}/graphql`,
    headers: { authorization: `Bearer ${app.adminToken}` },
  };
  try {
    await seedApp(target, app.baseUrl);
  } catch (error) {
    await app.stop();
    throw error;
  }
  return { name: 'embedded', ...target, stop: () => app.stop() };
}

async function startProductionTarget(profileDir?: string): Promise<OurTarget> {
  const api = await startProductionApi({
    devices: PAGE,
    pointsPerDevice: POINTS_PER_DEVICE,
    env: UNLIMITED,
    nodeArgs: profileArgs(profileDir),
  });
  for (let attempt = 0; !(await checkPage(api)); attempt++) {
    if (attempt > 100) throw new Error('latest values never showed up (production)');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { databaseUrl, redisUrl, organizationId, ...target } = api;
  return { name: 'production', ...target, sameWork: { databaseUrl, redisUrl, organizationId } };
}

const servers: { stop(): Promise<unknown> }[] = [];

/** A baseline server (bench/support/<file>), its page checked; stopped with the others. */
async function startBaseline(name: string, file: string, args: string[]): Promise<Target> {
  const server = await startBaselineServer(name, [
    '--import',
    'tsx',
    `bench/support/${file}`,
    ...args,
  ]);
  servers.push(server);
  const target = { url: `http://127.0.0.1:${server.port}/graphql`, headers: {} };
  if (!(await checkPage(target))) throw new Error(`${name}: the page is not the expected shape`);
  return target;
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-graphql-page-'));
const profileDir = flags.profile ? path.join(dataDir, 'profile') : undefined;
try {
  const ours: OurTarget[] = [];
  for (const name of TARGETS) {
    const ownProfile = profileDir && path.join(profileDir, name);
    const target =
      name === 'embedded'
        ? await startEmbeddedTarget(dataDir, ownProfile)
        : await startProductionTarget(ownProfile);
    servers.push(target);
    ours.push(target);
  }

  const baseline = await startBaseline('Mercurius baseline', 'mercurius-baseline-server.ts', [
    String(PAGE),
  ]);
  // Production: the same page read by Mercurius from the same PostgreSQL and Redis.
  const sameWorkOf = ours.find((target) => target.sameWork)?.sameWork;
  const sameWork =
    sameWorkOf &&
    (await startBaseline('same-work baseline', 'mercurius-pg-redis-server.ts', [
      sameWorkOf.databaseUrl,
      sameWorkOf.redisUrl,
      sameWorkOf.organizationId,
    ]));

  // Rounds alternate between the servers (only one loaded at a time), so a neighbour's load on
  // this machine weighs on every side of the ratio alike; medians are reported.
  const runs = new Map(
    ours.map((target) => [target.name, { page: [] as LoadRound[], typename: [] as LoadRound[] }]),
  );
  const baselineRuns: LoadRound[] = [];
  const sameWorkRuns: LoadRound[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of ours) {
      const own = runs.get(target.name)!;
      own.page.push(await load(target, PAGE_QUERY));
      // Profiling looks at the page query alone.
      if (!profileDir) own.typename.push(await load(target, TYPENAME_QUERY));
    }
    baselineRuns.push(await load(baseline, PAGE_QUERY));
    if (sameWork) sameWorkRuns.push(await load(sameWork, PAGE_QUERY));
  }
  const pages = ours.map((target) => {
    const own = runs.get(target.name)!;
    const page = report(`ours (${target.name}): devices(first: 50) + latest`, own.page);
    if (!profileDir) report(`ours (${target.name}): { __typename }`, own.typename);
    return { name: target.name, page, runs: own.page };
  });
  const mercurius = report('baseline: Mercurius + graphql-jit, in memory', baselineRuns);
  const sameWorkPage = sameWork
    ? report('baseline: Mercurius + graphql-jit, pg + Redis', sameWorkRuns)
    : undefined;
  console.log('');
  for (const { name, page, runs: pageRuns } of pages) {
    const ratios = pageRuns.map((run, i) => run.rate / baselineRuns[i]!.rate);
    console.log(
      `ratio ours (${name}) / Mercurius+JIT: ${(page.rate / mercurius.rate).toFixed(3)} (target ≥ ${IN_MEMORY_GOAL}; ` +
        `per round: ${ratios.map((ratio) => ratio.toFixed(3)).join(', ')})`,
    );
  }
  const production = pages.find((page) => page.name === 'production');
  if (production && sameWorkPage) {
    console.log(
      `ratio ours (production) / Mercurius+JIT on pg + Redis: ` +
        `${(production.page.rate / sameWorkPage.rate).toFixed(3)} (target ≥ ${SAME_WORK_GOAL})`,
    );
  }
  console.log(
    `(${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, node ${process.version}, ` +
      `${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s after ${WARMUP} s warm-up each)`,
  );
  await reportFigures([
    ...pages.map(({ name, page }) => ({
      name: `devices(first: 50) + latest, ${name}`,
      unit: 'req/s',
      ours: page.rate,
      baselineName: 'Mercurius + graphql-jit, in memory',
      baseline: mercurius.rate,
      better: 'higher' as const,
      goal: `≥ ${IN_MEMORY_GOAL}`,
      met: page.rate / mercurius.rate >= IN_MEMORY_GOAL,
      note: `p50 ${page.p50} ms, p99 ${page.p99} ms; Mercurius p50 ${mercurius.p50} ms, p99 ${mercurius.p99} ms`,
    })),
    ...(production && sameWorkPage
      ? [
          {
            name: 'devices(first: 50) + latest, production, same work',
            unit: 'req/s',
            ours: production.page.rate,
            baselineName: 'Mercurius + graphql-jit, one pg query + one Redis pipeline',
            baseline: sameWorkPage.rate,
            better: 'higher' as const,
            goal: `≥ ${SAME_WORK_GOAL.toFixed(2)}`,
            met: production.page.rate / sameWorkPage.rate >= SAME_WORK_GOAL,
            note: `same-work baseline p50 ${sameWorkPage.p50} ms, p99 ${sameWorkPage.p99} ms`,
          },
        ]
      : []),
  ]);
  await Promise.all(servers.splice(0).map((server) => server.stop()));

  for (const name of profileDir ? TARGETS : []) {
    const dir = path.join(profileDir!, name);
    // The main thread's profile is the first one written (workers write theirs after).
    const [file] = (await readdir(dir)).filter((entry) => entry.endsWith('.cpuprofile')).sort();
    if (!file) throw new Error(`the ${name} server wrote no CPU profile`);
    console.log(`\nCPU profile of ours (${name}) (${path.join(dir, file)}):`);
    console.log(await summariseProfile(path.join(dir, file), 40));
  }
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  if (!profileDir) await rm(dataDir, { recursive: true, force: true });
}
