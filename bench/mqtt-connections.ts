/**
 * MQTT at fleet scale (issue 11): N concurrent device connections to one ingest process, then
 * every device publishing at QoS 1, beside Debian's Mosquitto holding the same connections and
 * load in the same run (the baseline). Goals: 50,000 connections held in ≤ 1.5 GiB RSS; PUBACK
 * p99 ≤ 50 ms at 5,000 points/s in production mode.
 *
 *   npx tsx bench/mqtt-connections.ts [--connections 50000] [--target embedded|production]
 *     [--seconds 60] [--hold 15] [--warmup 10] [--rate <points/s>] [--generators <processes>]
 *     [--window 50] [--timeline] [--profile]
 *
 * Targets: `embedded` is `npm start`'s one process (ingest, pipeline, DuckDB, PGlite); its RSS
 * and CPU are the whole product's. `production` is the ingest role (`src/main.ts ingest`, Kafka
 * acks=-1 before each PUBACK) with a pipeline beside it, on the real services
 * (`npm run services:up`); the ingest process is the one measured.
 *
 * Each device is its own row with its own token, written straight into the device database
 * (bench/support/mqtt-devices.ts). Load generators (bench/support/mqtt-load-generator.ts) are
 * child processes, each with its slice of the devices on sockets bound to its own 127.0.0.x
 * source address (an address has ~28,000 ephemeral ports). One side at a time is measured:
 * connect all (connects/s), hold `--hold` s, then publish `--rate` points/s in all (default
 * N / 10: each device once every 10 s), spread evenly: `--warmup` s unmeasured (ingest connects
 * its Kafka producer on the first publish), then `--seconds` measured; PUBACK latency is from
 * the PUBLISH's write to its PUBACK, in the generators. `--timeline` prints p99 per second,
 * `--profile` runs our process under `node --cpu-prof` and prints its self time by package. RSS and CPU come from
 * /proc/<pid>/{status,stat}, sampled each second.
 *
 * Every connection is a file descriptor: the generators and Mosquitto are spawned through
 * `ulimit -n`, the product's processes get theirs with `prlimit --pid` (test/support starts
 * them). Where the hard limit cannot be raised (only a privileged process may), each server
 * holds what its limit allows, and the table says so.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ORGANIZATION } from '../src/app/embedded-admin.js';
import type { RunningChild } from '../test/support/child-process.js';
import { startEmbeddedProcess, startRole } from '../test/support/processes.js';
import { createProductionStack, findProductionServices } from '../test/support/production-stack.js';
import { summariseProfile } from './support/cpu-profile-summary.js';
import { mintTokens, seedEmbeddedDevices, seedProductionDevices } from './support/mqtt-devices.js';
import { startGenerators, type Generators } from './support/mqtt-generators.js';
import type { GeneratorReport } from './support/mqtt-load-generator.js';
import { startMosquitto } from './support/mqtt-mosquitto.js';
import { reportFigures, type Figure } from './support/report.js';
import { openFiles, raiseOpenFiles, sampleProcess, type Window } from './support/process-stats.js';

const { values: flags } = parseArgs({
  options: {
    connections: { type: 'string', default: '50000' },
    target: { type: 'string', default: 'embedded' },
    seconds: { type: 'string', default: '60' },
    hold: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '10' },
    rate: { type: 'string' },
    generators: { type: 'string' },
    window: { type: 'string', default: '50' },
    timeline: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
if (flags.target !== 'embedded' && flags.target !== 'production') {
  throw new Error(`--target is embedded or production, not ${flags.target}`);
}
const TARGET = flags.target;
const ASKED = Number(flags.connections);
const SECONDS = Number(flags.seconds);
const HOLD_SECONDS = Number(flags.hold);
const WARMUP_SECONDS = Number(flags.warmup);
const RATE = flags.rate ? Number(flags.rate) : ASKED / 10;
const GENERATORS = flags.generators
  ? Number(flags.generators)
  : Math.max(2, Math.ceil(ASKED / 10_000));
/** Connections each generator opens at once. */
const WINDOW = Number(flags.window);
const KEEPALIVE_SECONDS = 60;
/** Descriptors a server keeps for itself beyond its connections (files, database, Kafka). */
const SERVER_RESERVE = 100;
const GOAL = { connections: 50_000, rssMiB: 1536, rate: 5_000, p99Ms: 50 };
const UNLIMITED = {
  RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
  RATE_LIMIT_DEVICE_BURST: '1000000',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '–';

interface Side {
  name: string;
  pid: number;
  port: number;
  /** Processes sampled beside it (the production pipeline), reported in a note. */
  others: { name: string; pid: number }[];
}

interface Measured {
  name: string;
  held: number;
  asked: number;
  failures: Record<string, number>;
  gaveUp: boolean;
  connectSeconds: number;
  connectRate: number;
  rssIdleMiB: number;
  hold: Window;
  load: Window;
  connect: Window;
  fdsHeld: number;
  sent: number;
  acked: number;
  refused: number;
  unacked: number;
  dropped: Record<string, number>;
  achievedRate: number;
  p50: number;
  p99: number;
  max: number;
  loopDelayP99: number;
  /** The unmeasured load before the measured one (first publishes connect the bus). */
  warmUp?: { p99: number; max: number };
  /** Per second of the load: publishes acknowledged, p99, max. */
  timeline: { second: number; count: number; p99: number; max: number }[];
  others: { name: string; load: Window }[];
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

function mergeTally(tallies: Record<string, number>[]) {
  const merged: Record<string, number> = {};
  for (const tally of tallies) {
    for (const [reason, n] of Object.entries(tally)) merged[reason] = (merged[reason] ?? 0) + n;
  }
  return merged;
}

function timelineOf(reports: Extract<GeneratorReport, { type: 'loaded' }>[]) {
  const bySecond = new Map<number, number[]>();
  for (const report of reports) {
    report.sentAt.forEach((at, i) => {
      const second = Math.floor(at / 1000);
      let list = bySecond.get(second);
      if (!list) bySecond.set(second, (list = []));
      list.push(report.latencies[i]!);
    });
  }
  return [...bySecond.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, list]) => {
      const sorted = Float64Array.from(list).sort();
      return { second, count: list.length, p99: percentile(sorted, 99), max: sorted.at(-1)! };
    });
}

/** Connect, hold, load, disconnect: one side, measured. */
async function measure(
  generators: Generators,
  side: Side,
  phase: number,
  count: number,
  tokens: string[],
): Promise<Measured> {
  const sampler = sampleProcess(side.pid);
  const others = side.others.map((other) => ({ ...other, sampler: sampleProcess(other.pid) }));
  const markAll = (name: string) =>
    Promise.all([sampler.mark(name), ...others.map((other) => other.sampler.mark(name))]);
  try {
    const shares = Array.from(
      { length: generators.count },
      (_, i) => Math.floor(count / generators.count) + (i < count % generators.count ? 1 : 0),
    );
    const bases = shares.map((_, i) => sum(shares.slice(0, i)));
    await markAll('idle');
    console.log(`${side.name}: connecting ${fmt(count)} devices…`);
    const connected = await generators.all(
      'connected',
      (i) => ({
        type: 'connect',
        host: '127.0.0.1',
        port: side.port,
        // Sides use addresses of their own: no port of one is in TIME_WAIT for the other.
        localAddress: `127.0.0.${10 + phase * generators.count + i}`,
        tokens: tokens.slice(bases[i], bases[i]! + shares[i]!),
        clientIdBase: bases[i]!,
        window: WINDOW,
        keepaliveSeconds: KEEPALIVE_SECONDS,
        timeoutMs: 30_000,
        giveUpAfter: 200,
      }),
      30 * 60_000,
    );
    await markAll('connected');
    const held = sum(connected.map((report) => report.held));
    const connectSeconds =
      (Math.max(...connected.map((r) => r.lastAt)) - Math.min(...connected.map((r) => r.firstAt))) /
      1000;
    console.log(
      `${side.name}: ${fmt(held)} held in ${connectSeconds.toFixed(1)} s; holding ${HOLD_SECONDS} s…`,
    );
    await sleep(HOLD_SECONDS * 1000);
    const fdsHeld = await openFiles(side.pid);
    await markAll('held');
    const load = (seconds: number) =>
      generators.all(
        'loaded',
        (i) => ({
          type: 'load',
          perSecond: held === 0 ? 0 : (RATE * connected[i]!.held) / held,
          seconds,
          drainMs: 10_000,
        }),
        (seconds + 120) * 1000,
      );
    let warmUp: { p99: number; max: number } | undefined;
    if (WARMUP_SECONDS > 0) {
      console.log(`${side.name}: warming up at ${fmt(RATE)} points/s for ${WARMUP_SECONDS} s…`);
      const warm = Float64Array.from(
        (await load(WARMUP_SECONDS)).flatMap((r) => r.latencies),
      ).sort();
      warmUp = { p99: percentile(warm, 99), max: warm.at(-1) ?? NaN };
    }
    await markAll('measuring');
    console.log(`${side.name}: publishing ${fmt(RATE)} points/s for ${SECONDS} s…`);
    const loading = load(SECONDS);
    await Promise.race([sleep(SECONDS * 1000), loading]);
    await markAll('loaded');
    const loaded = await loading;
    await generators.all('disconnected', () => ({ type: 'disconnect' }), 120_000);

    const latencies = Float64Array.from(loaded.flatMap((report) => report.latencies)).sort();
    const acked = sum(loaded.map((r) => r.acked));
    return {
      name: side.name,
      held,
      asked: count,
      failures: mergeTally(connected.map((r) => r.failures)),
      gaveUp: connected.some((r) => r.gaveUp),
      connectSeconds,
      connectRate: held / connectSeconds,
      rssIdleMiB: sampler.between('idle', 'idle').rssLastMiB,
      connect: sampler.between('idle', 'connected'),
      hold: sampler.between('connected', 'held'),
      load: sampler.between('measuring', 'loaded'),
      warmUp,
      fdsHeld,
      sent: sum(loaded.map((r) => r.sent)),
      acked,
      refused: sum(loaded.map((r) => r.refused)),
      unacked: sum(loaded.map((r) => r.unacked)),
      dropped: mergeTally(loaded.map((r) => r.dropped)),
      achievedRate: acked / SECONDS,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? NaN,
      loopDelayP99: Math.max(...loaded.map((r) => r.loopDelayP99)),
      timeline: timelineOf(loaded),
      others: others.map((other) => ({
        name: other.name,
        load: other.sampler.between('measuring', 'loaded'),
      })),
    };
  } finally {
    sampler.stop();
    for (const other of others) other.sampler.stop();
  }
}

function printTable(rows: Measured[]) {
  const header = [
    'target',
    'held / asked',
    'connects/s',
    'RSS idle MiB',
    'RSS held MiB',
    'KiB/conn',
    'RSS load max',
    'CPU % connect',
    'CPU % hold',
    'CPU % load',
    'machine CPU % load',
    'PUBACKs/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'unacked/refused/dropped',
  ];
  const perConnection = (m: Measured) =>
    m.held === 0 ? NaN : ((m.hold.rssLastMiB - m.rssIdleMiB) * 1024) / m.held;
  const lines = rows.map((m) => [
    m.name,
    `${fmt(m.held)} / ${fmt(m.asked)}`,
    fmt(m.connectRate),
    fmt(m.rssIdleMiB),
    fmt(m.hold.rssLastMiB),
    fmt(perConnection(m), 1),
    fmt(m.load.rssMaxMiB),
    fmt(m.connect.cpuPercent),
    fmt(m.hold.cpuPercent, 1),
    fmt(m.load.cpuPercent),
    fmt(m.load.machineCpuPercent),
    fmt(m.achievedRate),
    fmt(m.p50, 2),
    fmt(m.p99, 2),
    fmt(m.max, 1),
    `${fmt(m.unacked)}/${fmt(m.refused)}/${fmt(sum(Object.values(m.dropped)))}`,
  ]);
  const [baseline, ours] = rows as [Measured, Measured];
  const ratio = (a: number, b: number) =>
    b === 0 || !Number.isFinite(a / b) ? '–' : `${(a / b).toFixed(2)}×`;
  lines.push([
    'ours / mosquitto',
    '',
    ratio(ours.connectRate, baseline.connectRate),
    ratio(ours.rssIdleMiB, baseline.rssIdleMiB),
    ratio(ours.hold.rssLastMiB, baseline.hold.rssLastMiB),
    ratio(perConnection(ours), perConnection(baseline)),
    ratio(ours.load.rssMaxMiB, baseline.load.rssMaxMiB),
    ratio(ours.connect.cpuPercent, baseline.connect.cpuPercent),
    ratio(ours.hold.cpuPercent, baseline.hold.cpuPercent),
    ratio(ours.load.cpuPercent, baseline.load.cpuPercent),
    '',
    '',
    ratio(ours.p50, baseline.p50),
    ratio(ours.p99, baseline.p99),
    ratio(ours.max, baseline.max),
    '',
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i]!.length)),
  );
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  console.log(`\n${render(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const line of lines) console.log(render(line));
}

function describe(m: Measured) {
  const notes: string[] = [];
  const failed = Object.entries(m.failures);
  if (failed.length > 0) {
    notes.push(
      `not held: ${failed.map(([reason, n]) => `${fmt(n)} × ${reason}`).join(', ')}` +
        (m.gaveUp ? ' (a generator stopped after 200 failures in a row)' : ''),
    );
  }
  const dropped = Object.entries(m.dropped);
  if (dropped.length > 0) {
    notes.push(`closed during the load: ${dropped.map(([r, n]) => `${fmt(n)} × ${r}`).join(', ')}`);
  }
  notes.push(
    `${fmt(m.sent)} publishes, ${fmt(m.acked)} acknowledged; open descriptors while holding: ${fmt(m.fdsHeld)}; ` +
      `connect phase ${m.connectSeconds.toFixed(1)} s; generators' event-loop delay p99 ${m.loopDelayP99.toFixed(1)} ms`,
  );
  if (m.warmUp) {
    notes.push(
      `warm-up (${WARMUP_SECONDS} s, not in the table): p99 ${fmt(m.warmUp.p99, 1)} ms, max ${fmt(m.warmUp.max, 1)} ms`,
    );
  }
  const worst = [...m.timeline].sort((a, b) => b.p99 - a.p99).slice(0, 3);
  if (worst.length > 0) {
    notes.push(
      `worst seconds by p99: ${worst.map((s) => `s${s.second} ${fmt(s.p99, 1)} ms (max ${fmt(s.max, 1)}, n ${fmt(s.count)})`).join('; ')}`,
    );
  }
  for (const other of m.others) {
    notes.push(
      `${other.name} during the load: CPU ${fmt(other.load.cpuPercent)} %, RSS max ${fmt(other.load.rssMaxMiB)} MiB`,
    );
  }
  console.log(`  ${m.name}: ${notes.join('\n    ')}`);
  if (flags.timeline) {
    for (const s of m.timeline) {
      console.log(
        `    s${String(s.second).padStart(3)}  n ${String(s.count).padStart(6)}  p99 ${fmt(s.p99, 1).padStart(8)} ms  max ${fmt(s.max, 1).padStart(8)} ms`,
      );
    }
  }
}

function judgeGoals(ours: Measured, limitNote: string | undefined) {
  const rss = Math.max(ours.hold.rssMaxMiB, ours.load.rssMaxMiB);
  const perConnectionMiB =
    ours.held === 0 ? NaN : (ours.hold.rssLastMiB - ours.rssIdleMiB) / ours.held;
  const extrapolated = ours.rssIdleMiB + perConnectionMiB * GOAL.connections;
  let memory: string;
  if (ours.held >= GOAL.connections) {
    memory = `${rss <= GOAL.rssMiB ? 'MET' : 'NOT MET'}: ${fmt(ours.held)} held, RSS at most ${fmt(rss)} MiB over hold and load`;
  } else {
    memory =
      `NOT SHOWN: ${fmt(ours.held)} held, not ${fmt(GOAL.connections)}` +
      (limitNote ? ` (${limitNote})` : '') +
      `; at ${fmt(ours.held)}: RSS at most ${fmt(rss)} MiB, ${fmt(perConnectionMiB * 1024, 1)} KiB a connection → ` +
      `~${fmt(extrapolated)} MiB at ${fmt(GOAL.connections)} (extrapolated, ${extrapolated <= GOAL.rssMiB ? 'within' : 'over'} ${fmt(GOAL.rssMiB)} MiB)`;
  }
  let latency: string;
  if (TARGET !== 'production') {
    latency = `not judged (the goal is production mode; embedded here): p99 ${fmt(ours.p99, 1)} ms at ${fmt(ours.achievedRate)} points/s`;
  } else if (ours.achievedRate < GOAL.rate * 0.98) {
    latency = `NOT SHOWN: ${fmt(ours.achievedRate)} points/s acknowledged, not ${fmt(GOAL.rate)} (pass --rate ${GOAL.rate}); p99 ${fmt(ours.p99, 1)} ms`;
  } else {
    latency =
      `${ours.p99 <= GOAL.p99Ms && ours.unacked === 0 ? 'MET' : 'NOT MET'}: p99 ${fmt(ours.p99, 1)} ms at ${fmt(ours.achievedRate)} points/s over ${fmt(ours.held)} connections` +
      (ours.unacked > 0 ? `, ${fmt(ours.unacked)} unacknowledged` : '');
  }
  console.log(`\nGoal: ${fmt(GOAL.connections)} connections in ≤ 1.5 GiB RSS — ${memory}`);
  console.log(
    `Goal: PUBACK p99 ≤ ${GOAL.p99Ms} ms at ${fmt(GOAL.rate)} points/s (production) — ${latency}`,
  );
  return { memory, latency };
}

/** MET, NOT MET, or neither (NOT SHOWN, not judged): the run cannot say. */
const verdictOf = (verdict: string) =>
  verdict.startsWith('MET') ? true : verdict.startsWith('NOT MET') ? false : undefined;

/** The table's ours / mosquitto row, as figures for reportFigures. */
function figuresOf(
  baseline: Measured,
  ours: Measured,
  verdicts: { memory: string; latency: string },
) {
  const perConnection = (m: Measured) =>
    m.held === 0 ? NaN : ((m.hold.rssLastMiB - m.rssIdleMiB) * 1024) / m.held;
  const at = `${fmt(ours.held)} connections, ${TARGET}`;
  const beside = { baselineName: baseline.name };
  const figures: Figure[] = [
    {
      name: `connects/s, ${at}`,
      unit: 'connections/s',
      ours: ours.connectRate,
      baseline: baseline.connectRate,
      better: 'higher',
    },
    {
      name: `RSS held, ${at}`,
      unit: 'MiB',
      ours: ours.hold.rssLastMiB,
      baseline: baseline.hold.rssLastMiB,
      better: 'lower',
    },
    {
      name: `RSS per connection, ${at}`,
      unit: 'KiB',
      ours: perConnection(ours),
      baseline: perConnection(baseline),
      better: 'lower',
      goal: `${fmt(GOAL.connections)} connections in ≤ 1.5 GiB RSS`,
      note: verdicts.memory,
      met: verdictOf(verdicts.memory),
    },
    {
      name: `CPU % under load (${fmt(RATE)} points/s), ${at}`,
      unit: '% of a core',
      ours: ours.load.cpuPercent,
      baseline: baseline.load.cpuPercent,
      better: 'lower',
    },
    {
      name: `PUBACK p50, ${at}`,
      unit: 'ms',
      ours: ours.p50,
      baseline: baseline.p50,
      better: 'lower',
    },
    {
      name: `PUBACK p99, ${at}`,
      unit: 'ms',
      ours: ours.p99,
      baseline: baseline.p99,
      better: 'lower',
      goal: `≤ ${GOAL.p99Ms} ms at ${fmt(GOAL.rate)} points/s (production)`,
      note: verdicts.latency,
      met: verdictOf(verdicts.latency),
    },
  ];
  return figures.map((figure) => ({ ...figure, ...beside }));
}

// Everything started is stopped on the way out, on failure and on Ctrl-C alike.
const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp() {
  while (cleanups.length > 0) {
    await cleanups.pop()!().catch((error: unknown) => console.error('cleanup failed:', error));
  }
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping everything the bench started…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function startOurs(tokens: string[], nodeArgs: string[]): Promise<Side> {
  if (TARGET === 'embedded') {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-mqtt-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    await seedEmbeddedDevices(dataDir, DEFAULT_ORGANIZATION, tokens);
    const app = await startEmbeddedProcess(
      { DATA_DIR: dataDir, MQTT_PORT: '0', ...UNLIMITED },
      nodeArgs,
    );
    cleanups.push(() => app.stop());
    const port = Number(
      app.logs.map((line) => /MQTT:\s+mqtt:\/\/[^\s]+:(\d+)/.exec(line)?.[1]).find(Boolean),
    );
    if (!port) throw new Error(`the embedded app started without MQTT:\n${app.logs.join('\n')}`);
    return { name: 'ours: embedded', pid: app.child.pid!, port, others: [] };
  }
  const services = await findProductionServices();
  if (!services) throw new SkipError('PostgreSQL, Redis, Kafka and InfluxDB: npm run services:up');
  const stack = await createProductionStack(services);
  cleanups.push(() => stack.cleanup());
  await seedProductionDevices(stack.env.DATABASE_URL!, stack.organizationId, tokens);
  const env = { ...stack.env, ...UNLIMITED };
  const started: RunningChild[] = [];
  cleanups.push(() => Promise.all(started.map((child) => child.stop())));
  const [ingest, pipeline] = await Promise.all([
    startRole('ingest', env, undefined, nodeArgs).then((role) => (started.push(role), role)),
    startRole('pipeline', env).then((role) => (started.push(role), role)),
  ]);
  if (!ingest.mqttPort) throw new Error('the ingest process started without MQTT');
  return {
    name: 'ours: production ingest',
    pid: ingest.child.pid!,
    port: ingest.mqttPort,
    others: [{ name: 'pipeline process', pid: pipeline.child.pid! }],
  };
}

class SkipError extends Error {}

try {
  const tokens = mintTokens(ASKED);
  const seeding = performance.now();
  // On the command line: Node 20 refuses --cpu-prof in NODE_OPTIONS.
  const profileDir = flags.profile
    ? await mkdtemp(path.join(os.tmpdir(), 'bench-mqtt-profile-'))
    : undefined;
  const ours = await startOurs(
    tokens,
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  console.log(
    `${fmt(ASKED)} devices registered and ${ours.name} started in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
  );
  const wantedFiles = ASKED + SERVER_RESERVE + 1_000;
  const oursLimit = await raiseOpenFiles(ours.pid, wantedFiles);
  const mosquitto = await startMosquitto(wantedFiles);
  cleanups.push(() => mosquitto.stop());
  const mosquittoLimit = await raiseOpenFiles(mosquitto.pid, wantedFiles);
  const generators = await startGenerators(GENERATORS, Math.ceil(ASKED / GENERATORS) + 1_000);
  cleanups.push(() => generators.stop());

  // One descriptor a connection: what each process can hold with the limit it got.
  const capacities = [
    {
      who: 'ingest',
      can: oursLimit.soft - (await openFiles(ours.pid)) - SERVER_RESERVE,
      limit: oursLimit,
    },
    {
      who: 'mosquitto',
      can: mosquittoLimit.soft - (await openFiles(mosquitto.pid)) - SERVER_RESERVE,
      limit: mosquittoLimit,
    },
    {
      who: 'the load generators',
      can: sum(generators.openFilesLimits.map((limit) => limit - SERVER_RESERVE)),
      limit: { soft: Math.min(...generators.openFilesLimits), refusal: undefined },
    },
  ];
  const tightest = capacities.reduce((a, b) => (b.can < a.can ? b : a));
  const count = Math.min(ASKED, tightest.can);
  let limitNote: string | undefined;
  if (count < ASKED) {
    limitNote =
      `${tightest.who}'s open-file limit is ${fmt(tightest.limit.soft)}` +
      (tightest.limit.refusal ? ` and raising it is refused (${tightest.limit.refusal})` : '') +
      `: one descriptor a connection`;
    console.log(
      `NOTE: opening ${fmt(count)} connections to each server, not ${fmt(ASKED)}: ${limitNote}.`,
    );
  }

  const baselineSide: Side = {
    name: `mosquitto ${mosquitto.version}`,
    pid: mosquitto.pid,
    port: mosquitto.port,
    others: [],
  };
  const baseline = await measure(generators, baselineSide, 0, count, tokens);
  await mosquitto.stop();
  const measured = await measure(generators, ours, 1, count, tokens);

  printTable([baseline, measured]);
  console.log('');
  describe(baseline);
  describe(measured);
  const verdicts = judgeGoals(measured, limitNote);
  console.log(
    `\n(${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, node ${process.version}; ` +
      `MQTT 5, QoS 1, keep-alive ${KEEPALIVE_SECONDS} s; ${GENERATORS} generator processes opening ${WINDOW} connections at once each; ` +
      `hold ${HOLD_SECONDS} s, warm-up ${WARMUP_SECONDS} s, then ${fmt(RATE)} points/s measured for ${SECONDS} s = each device every ${fmt(count / RATE, 1)} s; ` +
      `CPU 100 % = one core (machine: every process, ${os.cpus().length * 100} % at most); KiB/conn = (RSS held − RSS idle) / held; Mosquitto acknowledges once routed ` +
      `(no subscriber, no persistence), ours once the bus has the point (${TARGET === 'embedded' ? 'write-ahead log fsynced' : 'Kafka acks=-1'}))`,
  );
  await reportFigures(
    figuresOf(baseline, measured, verdicts),
    limitNote ? [`opened ${fmt(count)} connections, not ${fmt(ASKED)}: ${limitNote}`] : [],
  );
  if (profileDir) {
    // The profile is written as the process exits.
    await cleanUp();
    const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${ours.name} wrote no CPU profile`);
    console.log(`\nCPU profile of ${ours.name}, its whole life (${path.join(profileDir, file)}):`);
    console.log(await summariseProfile(path.join(profileDir, file), 40));
  }
} catch (error) {
  // Stopping the children fails what waits on them: the signal handler cleans up and exits.
  if (interrupted) await new Promise(() => undefined);
  if (!(error instanceof SkipError)) throw error;
  console.log(`SKIPPED: the production target needs ${error.message}`);
} finally {
  await cleanUp();
}
