/**
 * Ingest the way devices send (issue 13, goal 3): one point per request, from many devices over
 * 100 connections, beside the floor measured in the same run: a bare `node:http` server (a child
 * process like ours) that reads the body, `JSON.parse`s it and answers 202. Goals: ≥ 0.7× the
 * floor embedded and ≥ 0.5× in production (Kafka acknowledged, with the pipeline and InfluxDB on
 * the same cores), p99 ≤ 50 ms.
 *
 *   npx tsx bench/ingest-single-point.ts [--target embedded|production|all] [--duration 5]
 *     [--rounds 2] [--devices 1000] [--profile]
 *
 * --profile runs the embedded app and the production ingest process under `node --cpu-prof` and
 * prints their self time during the load rounds, by package and by function.
 * autocannon (in this process) sends `{"ts": <now>, "metrics": {"temperature": n}}` with each
 * request's device token taken in turn from the registered devices; rounds alternate between
 * the servers, medians are reported. Beside them, each server process's CPU time per request
 * over its measured rounds (production: the ingest process's), which a busy machine does not
 * skew the way it skews req/s.
 */
import type autocannon from 'autocannon';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDeviceToken, hashDeviceToken } from '../src/auth/device-tokens.js';
import { RegisterDeviceDocument } from '../test/generated/graphql.js';
import { createGraphQLClient, expectData } from '../test/support/graphql-client.js';
import { startBaselineServer } from './support/baseline-server.js';
import { makeDataDir } from '../test/support/embedded-app.js';
import { startEmbeddedProcess, startRole, type RunningRole } from '../test/support/processes.js';
import { createProductionStack, findProductionServices } from '../test/support/production-stack.js';
import { summariseProfile } from './support/cpu-profile-summary.js';
import { cpuSeconds } from './support/process-stats.js';
import { loadRound } from './support/load-round.js';
import { reportFigures, type Figure } from './support/report.js';
import { medianRound, type LoadRound } from './support/stats.js';

const { values: flags } = parseArgs({
  options: {
    target: { type: 'string', default: 'embedded' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    devices: { type: 'string', default: '1000' },
    profile: { type: 'boolean', default: false },
  },
});
if (!['embedded', 'production', 'all'].includes(flags.target)) {
  throw new Error(`--target is embedded, production or all, not ${flags.target}`);
}
const TARGETS = flags.target === 'all' ? ['embedded', 'production'] : [flags.target];
const DURATION = Number(flags.duration);
const ROUNDS = Number(flags.rounds);
const DEVICES = Number(flags.devices);
const CONNECTIONS = 100;
const GOALS: Record<string, number> = { embedded: 0.7, production: 0.5 };
const P99_GOAL_MS = 50;

const UNLIMITED = {
  RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
  RATE_LIMIT_DEVICE_BURST: '1000000',
  // Registering the devices is a burst of mutations.
  RATE_LIMIT_USER_PER_SECOND: '1000000',
  RATE_LIMIT_USER_BURST: '1000000',
};

const FLOOR_SERVER = `
require('node:http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}');
  });
}).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ port: this.address().port })); });`;

interface Target {
  name: string;
  url: string;
  tokens: string[];
  /** The process answering the requests, whose CPU time per request is reported. */
  pid: number;
  stop(): Promise<unknown>;
}

/** CPU seconds the target's process spent in its measured rounds, by target name. */
const cpuSpent = new Map<string, number>();

function load(target: Target): Promise<LoadRound> {
  let next = 0;
  const options: autocannon.Options = {
    url: `${target.url}/v1/telemetry`,
    method: 'POST',
    connections: CONNECTIONS,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest(request: autocannon.Request) {
          const token = target.tokens[next++ % target.tokens.length]!;
          return {
            ...request,
            headers: { ...request.headers, authorization: `Bearer ${token}` },
            body: JSON.stringify({ ts: Date.now(), metrics: { temperature: next % 50 } }),
          };
        },
      },
    ],
  };
  return loadRound(target.name, options, 2, DURATION, async (measure) => {
    const before = await cpuSeconds(target.pid);
    const result = await measure();
    const spent = (await cpuSeconds(target.pid))! - before!;
    cpuSpent.set(target.name, (cpuSpent.get(target.name) ?? 0) + spent);
    return result;
  });
}

async function startFloor(): Promise<Target> {
  const server = await startBaselineServer('bare node:http floor', ['-e', FLOOR_SERVER]);
  return {
    name: 'floor',
    url: `http://127.0.0.1:${server.port}`,
    tokens: ['none'],
    pid: server.pid,
    stop: server.stop,
  };
}

const profileDir = flags.profile
  ? await mkdtemp(path.join(os.tmpdir(), 'bench-ingest-profile-'))
  : undefined;

/** `node --cpu-prof` into a folder per target (production: the ingest process). */
function profileArgs(target: string): string[] {
  return profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, target)}`] : [];
}

async function startEmbeddedTarget(): Promise<Target> {
  const dataDir = await makeDataDir();
  const app = await startEmbeddedProcess(
    { DATA_DIR: dataDir.dir, LOG_LEVEL: 'warn', ...UNLIMITED },
    profileArgs('embedded'),
    // As `npm start` runs it: plain JavaScript, so a profile names functions by file and line.
    ['scripts/start.mjs'],
  );
  const stop = async () => {
    await app.stop();
    await dataDir.remove();
  };
  const admin = createGraphQLClient(app.baseUrl, app.adminToken);
  const tokens: string[] = [];
  try {
    for (let i = 0; i < DEVICES; i++) {
      const input = { externalId: `d-${i}`, name: `Device ${i}`, type: 'sensor' };
      const { registerDevice } = await expectData(admin(RegisterDeviceDocument, { input }));
      tokens.push(registerDevice.token);
    }
  } catch (error) {
    // Not yet in the bench's list of servers to stop: stopped here.
    await stop();
    throw error;
  }
  return { name: 'embedded', url: app.baseUrl, tokens, pid: app.child.pid!, stop };
}

async function startProductionTarget(): Promise<Target> {
  const services = await findProductionServices();
  if (!services) throw new Error('production target: npm run services:up first');
  const stack = await createProductionStack(services);
  const tokens: string[] = [];
  const started: RunningRole[] = [];
  const stop = async () => {
    await Promise.all(started.map((role) => role.stop()));
    await stack.cleanup();
  };
  try {
    for (let i = 0; i < DEVICES; i++) {
      const token = generateDeviceToken();
      await stack.devices.createDevice(
        {
          organizationId: stack.organizationId,
          externalId: `d-${i}`,
          name: `d-${i}`,
          type: 'sensor',
        },
        hashDeviceToken(token),
      );
      tokens.push(token);
    }
    // Both are waited for, so a role that started is stopped even when the other did not.
    const results = await Promise.allSettled(
      (['ingest', 'pipeline'] as const).map((role) =>
        startRole(
          role,
          { ...stack.env, ...UNLIMITED },
          30_000,
          role === 'ingest' ? profileArgs('production') : [],
        ),
      ),
    );
    for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
    const refused = results.find((result) => result.status === 'rejected');
    if (refused) throw refused.reason;
    const ingest = started.find((role) => role.role === 'ingest')!;
    return { name: 'production', url: ingest.baseUrl, tokens, pid: ingest.child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const servers: Target[] = [];
/** The load rounds, for --profile: the app's start-up and the device registrations left out. */
const profileWindow = { from: 0n, to: 0n };
try {
  const floor = await startFloor();
  servers.push(floor);
  const ours: Target[] = [];
  for (const name of TARGETS) {
    const target =
      name === 'embedded' ? await startEmbeddedTarget() : await startProductionTarget();
    servers.push(target);
    ours.push(target);
  }
  const runs = new Map<string, LoadRound[]>([
    ['floor', []],
    ...ours.map((t) => [t.name, []] as [string, LoadRound[]]),
  ]);
  profileWindow.from = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of ours) runs.get(target.name)!.push(await load(target));
    runs.get('floor')!.push(await load(floor));
  }
  profileWindow.to = process.hrtime.bigint();
  const floorRate = medianRound(runs.get('floor')!);
  console.log(
    `floor (bare node:http):  ${floorRate.rate.toFixed(0)} req/s  p50 ${floorRate.p50} ms  p99 ${floorRate.p99} ms`,
  );
  /** µs of the target's process CPU time per request, over every measured round. */
  const cpuPerRequest = (name: string) => {
    const requests = runs.get(name)!.reduce((sum, round) => sum + round.requests, 0);
    return (1e6 * cpuSpent.get(name)!) / requests;
  };
  console.log(`floor CPU per request:   ${cpuPerRequest('floor').toFixed(0)} µs`);
  const figures: Figure[] = [];
  for (const target of ours) {
    const measured = medianRound(runs.get(target.name)!);
    const ratio = measured.rate / floorRate.rate;
    console.log(
      `ours (${target.name}): ${measured.rate.toFixed(0)} req/s  p50 ${measured.p50} ms  p99 ${measured.p99} ms` +
        `  ratio ${ratio.toFixed(2)} (goal ≥ ${GOALS[target.name]})` +
        `  CPU per request ${cpuPerRequest(target.name).toFixed(0)} µs`,
    );
    figures.push(
      {
        name: `one point per request, ${CONNECTIONS} connections, ${target.name}`,
        unit: 'req/s',
        ours: measured.rate,
        baselineName: 'bare node:http: read, JSON.parse, 202',
        baseline: floorRate.rate,
        better: 'higher',
        goal: `≥ ${GOALS[target.name]!.toFixed(2)}`,
        met: ratio >= GOALS[target.name]!,
      },
      {
        // Robust where req/s is not: a busy neighbour slows both sides, not their CPU per request.
        name: `CPU per request, ${target.name}${target.name === 'production' ? ' (ingest process)' : ''}`,
        unit: 'µs',
        ours: cpuPerRequest(target.name),
        baselineName: 'bare node:http: read, JSON.parse, 202',
        baseline: cpuPerRequest('floor'),
        better: 'lower',
      },
      {
        name: `one point per request, p99, ${target.name}`,
        unit: 'ms',
        ours: measured.p99,
        better: 'lower',
        goal: `≤ ${P99_GOAL_MS} ms`,
        met: measured.p99 <= P99_GOAL_MS,
      },
    );
  }
  await reportFigures(figures);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}
if (profileDir) {
  for (const target of TARGETS) {
    // The main thread's profile is the first one written (workers write theirs after).
    const dir = path.join(profileDir, target);
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).sort();
    if (!file) continue;
    console.log(`${target}, load rounds only:`);
    console.log(await summariseProfile(path.join(dir, file), 40, profileWindow));
  }
}
