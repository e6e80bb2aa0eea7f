/**
 * Every benchmark in bench/ as one command (issue 12), one after another (never two at once: each
 * measures ours beside its baseline in the same run, and a neighbour would weigh on both), on the
 * services the machine has; writes what they measured to bench/results/.
 *
 *   npm run bench [-- --quick] [-- --only graphql-page,kafka-bus] [-- --list]
 *
 * --quick runs each bench with short flags (under 5 minutes in all on 2 cores); without it each
 * runs its own defaults or a larger preset (a long while: fleet-analytics' full preset writes
 * 8.64 M points, mqtt-connections opens 50,000 connections on each target). --only runs the
 * named benches (by name as --list shows them, or by file name) and --list prints the plan.
 *
 * A bench whose services are not reachable (PostgreSQL, Redis, Kafka, InfluxDB at the addresses
 * test/support/services.ts reads: TEST_DATABASE_URL, TEST_REDIS_URL, TEST_KAFKA_BROKERS,
 * TEST_INFLUX_URL, or their defaults on 127.0.0.1) is listed as skipped with the reason; one that
 * can run part of itself without them (the embedded target, the DuckDB store) runs that part and
 * says what it left out. Each bench runs as `node --import tsx bench/<name>.ts <flags>` in a
 * process group of its own (stopped whole after a time-out), with BENCH_JSON naming the file
 * its figures are written to (bench/support/report.ts); its printed output goes through as is.
 *
 * Written, dated by the run's start (UTC):
 *   bench/results/<YYYY-MM-DD>.json  the figures, each bench's command line, status and duration,
 *                                   the machine (cores, model, memory, node), the git commit;
 *   bench/results/<YYYY-MM-DD>.md    the same as a table: benchmark, figure, ours, baseline,
 *                                   ratio, goal, command; with the machine line;
 *   bench/results/latest.md          a copy of it; also copied into README.md (unless --only).
 * A second run on the same day replaces that day's files. The exit code is 1 if a bench failed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import type { BenchReport } from './support/report.js';
import { canConnect } from '../test/support/services.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = path.join(root, 'bench/results');

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});
type Preset = 'quick' | 'full';
const PRESET: Preset = flags.quick ? 'quick' : 'full';

// --- Services -------------------------------------------------------------------------------

type Service = 'postgres' | 'redis' | 'kafka' | 'influx';

/** As test/support/services.ts finds them (the benches themselves ask it). */
const SERVICES: Record<Service, { title: string; variable: string; address: string }> = {
  postgres: {
    title: 'PostgreSQL',
    variable: 'TEST_DATABASE_URL',
    address: 'postgresql://postgres@127.0.0.1:5432/iot_test',
  },
  redis: { title: 'Redis', variable: 'TEST_REDIS_URL', address: 'redis://127.0.0.1:6379' },
  kafka: { title: 'Kafka', variable: 'TEST_KAFKA_BROKERS', address: '127.0.0.1:9092' },
  influx: { title: 'InfluxDB', variable: 'TEST_INFLUX_URL', address: 'http://127.0.0.1:8086' },
};
const ALL_SERVICES = Object.keys(SERVICES) as Service[];

function endpointOf(service: Service, address: string) {
  if (service === 'kafka') {
    const [host, port] = (address.split(',')[0] ?? '').split(':');
    return { host: host || '127.0.0.1', port: Number(port || 9092) };
  }
  const url = new URL(address);
  const port = { postgres: 5432, redis: 6379, influx: 8086 }[service];
  return { host: url.hostname, port: Number(url.port || port) };
}

/** The results are committed: an address's password is not written. */
function withoutPassword(address: string) {
  try {
    const url = new URL(address);
    if (!url.password) return address;
    url.password = '***';
    return url.toString();
  } catch {
    return address;
  }
}

interface ServiceState {
  address: string;
  reachable: boolean;
}

async function probeServices(): Promise<Record<Service, ServiceState>> {
  const entries = await Promise.all(
    ALL_SERVICES.map(async (service) => {
      const { variable, address: fallback } = SERVICES[service];
      const address = process.env[variable] || fallback;
      const { host, port } = endpointOf(service, address);
      const reachable = await canConnect(host, port);
      return [service, { address: withoutPassword(address), reachable }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<Service, ServiceState>;
}

// --- The plan -------------------------------------------------------------------------------

interface Plan {
  /** Unique; --only takes it (or the file name, which selects every plan of the file). */
  name: string;
  /** bench/<file>.ts */
  file: string;
  /** Without any of these it cannot run at all. */
  needs: Service[];
  /** Not run with this preset. */
  presets?: Preset[];
  /** Its flags for the preset, given the services there are; `reduced` says what is left out. */
  args(preset: Preset, has: (service: Service) => boolean): { args: string[]; reduced?: string };
  /** Stopped (its whole process group) after this long. */
  timeoutSeconds: Record<Preset, number>;
}

const missing = (has: (service: Service) => boolean, services: Service[]) =>
  services
    .filter((service) => !has(service))
    .map((service) => SERVICES[service].title)
    .join(', ');
const PRODUCTION: Service[] = ['postgres', 'redis', 'kafka', 'influx'];

/**
 * `--target <all>` when every production engine answers, else `--target embedded` and why the
 * production target is left out; then `rest`.
 */
function withProductionTarget(has: (service: Service) => boolean, all: string, rest: string[]) {
  const production = PRODUCTION.every(has);
  return {
    args: ['--target', production ? all : 'embedded', ...rest],
    reduced: production
      ? undefined
      : `production target left out (${missing(has, PRODUCTION)} not reachable)`,
  };
}
const HOUR = 3_600;

/**
 * Cheapest first. Quick flags keep the whole run under 5 minutes on 2 cores (measured with
 * `time npm run bench -- --quick`); full ones are each bench's defaults or its larger preset.
 */
const PLANS: Plan[] = [
  {
    name: 'ingest-parse',
    file: 'ingest-parse',
    needs: [],
    args: (preset) => ({ args: preset === 'quick' ? ['50000'] : [] }),
    timeoutSeconds: { quick: 60, full: 600 },
  },
  {
    name: 'telemetry-store-duckdb',
    file: 'telemetry-store-duckdb',
    needs: [],
    args: (preset) => ({ args: preset === 'quick' ? ['20000'] : [] }),
    timeoutSeconds: { quick: 90, full: HOUR },
  },
  {
    name: 'embedded',
    file: 'embedded',
    needs: [],
    args: (preset) => ({ args: preset === 'quick' ? ['--points', '20000'] : [] }),
    timeoutSeconds: { quick: 90, full: HOUR },
  },
  {
    name: 'fleet-analytics',
    file: 'fleet-analytics',
    needs: [],
    args(preset, has) {
      const influx = has('influx') && has('redis');
      const args = ['--preset', preset, '--store', influx ? 'all' : 'duckdb'];
      if (preset === 'quick') args.push('--runs', '5');
      return {
        args,
        reduced: influx
          ? undefined
          : `InfluxDB store left out (${missing(has, ['influx', 'redis'])} not reachable)`,
      };
    },
    timeoutSeconds: { quick: 150, full: 4 * HOUR },
  },
  {
    name: 'graphql-page',
    file: 'graphql-page',
    needs: [],
    args: (preset, has) =>
      withProductionTarget(
        has,
        'all',
        preset === 'quick' ? ['--duration', '1', '--rounds', '2'] : [],
      ),
    timeoutSeconds: { quick: 120, full: HOUR },
  },
  {
    name: 'start',
    file: 'start',
    needs: [],
    args: (preset) => ({ args: preset === 'quick' ? ['--runs', '3'] : [] }),
    timeoutSeconds: { quick: 120, full: 300 },
  },
  {
    // Skips itself, saying so, where there is no Chromium (npm run services:up installs it).
    name: 'console-overview',
    file: 'console-overview',
    needs: [],
    args: (preset) => ({
      args: preset === 'quick' ? ['--visits', '5', '--devices', '50'] : [],
    }),
    timeoutSeconds: { quick: 120, full: 600 },
  },
  {
    name: 'latest-cache',
    file: 'latest-cache',
    needs: ['redis', 'influx'],
    args: () => ({ args: [] }),
    timeoutSeconds: { quick: 60, full: 600 },
  },
  {
    name: 'kafka-bus',
    file: 'kafka-bus',
    needs: ['kafka'],
    args: (preset) => ({ args: preset === 'quick' ? ['20000'] : [] }),
    timeoutSeconds: { quick: 120, full: HOUR },
  },
  {
    name: 'ingest-single-point',
    file: 'ingest-single-point',
    needs: [],
    args: (preset, has) =>
      withProductionTarget(
        has,
        'all',
        preset === 'quick' ? ['--duration', '2', '--rounds', '1', '--devices', '200'] : [],
      ),
    timeoutSeconds: { quick: 150, full: 900 },
  },
  {
    name: 'production-ingest',
    file: 'production-ingest',
    needs: PRODUCTION,
    args: (preset) => ({ args: preset === 'quick' ? ['50000'] : [] }),
    timeoutSeconds: { quick: 90, full: HOUR },
  },
  {
    name: 'live-fanout',
    file: 'live-fanout',
    needs: PRODUCTION,
    args: (preset) => ({
      args: preset === 'quick' ? ['--clients', '1000', '--events', '10'] : [],
    }),
    timeoutSeconds: { quick: 120, full: HOUR },
  },
  {
    name: 'live-freshness',
    file: 'live-freshness',
    needs: [],
    args: (preset, has) =>
      withProductionTarget(
        has,
        'both',
        preset === 'quick' ? ['--rates', '10000', '--seconds', '3'] : [],
      ),
    timeoutSeconds: { quick: 120, full: HOUR },
  },
  {
    name: 'connectivity',
    file: 'connectivity',
    needs: ['postgres'],
    args: (preset) => ({
      args: preset === 'quick' ? ['--devices', '10000', '--seconds', '10'] : [],
    }),
    timeoutSeconds: { quick: 120, full: HOUR },
  },
  {
    name: 'mqtt-connections',
    file: 'mqtt-connections',
    needs: [],
    args: (preset) => ({
      args:
        preset === 'quick'
          ? ['--connections', '1000', '--seconds', '10', '--hold', '3', '--warmup', '3']
          : [],
    }),
    timeoutSeconds: { quick: 150, full: 2 * HOUR },
  },
  {
    name: 'mqtt-connections:production',
    file: 'mqtt-connections',
    needs: PRODUCTION,
    presets: ['full'],
    args: () => ({ args: ['--target', 'production'] }),
    timeoutSeconds: { quick: 150, full: 2 * HOUR },
  },
];

// --- Running one --------------------------------------------------------------------------

type Status = 'ok' | 'failed' | 'skipped';

interface Outcome {
  name: string;
  file: string;
  status: Status;
  /** Why it was skipped or failed. */
  reason?: string;
  /** What a bench that ran left out for want of a service. */
  reduced?: string;
  command: string;
  durationSeconds?: number;
  exitCode?: number | null;
  signal?: string | null;
  figures: BenchReport['figures'];
  notes: string[];
  /** The last lines it printed, when it failed. */
  outputTail?: string[];
}

const commandOf = (file: string, args: string[]) =>
  ['npx tsx', `bench/${file}.ts`, ...args].join(' ');

/** The bench now running, for a signal to the runner to stop it. */
let running: { pid: number } | undefined;

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

async function runBench(plan: Plan, args: string[]): Promise<Omit<Outcome, 'name' | 'command'>> {
  const jsonFile = path.join(os.tmpdir(), `bench-run-${process.pid}-${plan.file}.json`);
  await rm(jsonFile, { force: true });
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', `bench/${plan.file}.ts`, ...args], {
    cwd: root,
    env: { ...process.env, BENCH_JSON: jsonFile },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A group of its own: a time-out stops the bench and every server it started.
    detached: true,
  });
  running = { pid: child.pid! };
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    const lines = chunk.toString('utf8').split('\n');
    if (tail.length > 0 && lines.length > 0) tail[tail.length - 1] += lines.shift()!;
    tail.push(...lines);
    tail.splice(0, Math.max(0, tail.length - 40));
  };
  child.stdout.on('data', (chunk: Buffer) => (process.stdout.write(chunk), keep(chunk)));
  child.stderr.on('data', (chunk: Buffer) => (process.stderr.write(chunk), keep(chunk)));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const closed = once(child, 'close');
  let timedOut = false;
  const timeoutSeconds = plan.timeoutSeconds[PRESET];
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(`\nbench ${plan.name}: no end after ${timeoutSeconds} s, stopping it…`);
    signalGroup(child.pid!, 'SIGTERM');
    setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 15_000).unref();
  }, timeoutSeconds * 1000);
  const [exitCode, signal] = await exited;
  clearTimeout(timer);
  running = undefined;
  // Its last output (a process it left behind may hold the pipes open: not for long).
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  // Whatever it started and left behind (it should have stopped them itself).
  signalGroup(child.pid!, 'SIGTERM');
  const durationSeconds = (performance.now() - started) / 1000;
  let report: BenchReport | undefined;
  try {
    report = JSON.parse(await readFile(jsonFile, 'utf8')) as BenchReport;
  } catch {
    // None written: it failed before its end, or it skipped itself.
  }
  await rm(jsonFile, { force: true });
  const outputTail = tail.filter((line) => line.trim() !== '').slice(-20);
  const base = {
    file: plan.file,
    durationSeconds,
    exitCode,
    signal,
    figures: report?.figures ?? [],
    notes: report?.notes ?? [],
  };
  if (timedOut) {
    return {
      ...base,
      status: 'failed',
      reason: `timed out after ${timeoutSeconds} s`,
      outputTail,
    };
  }
  if (exitCode !== 0) {
    const last =
      outputTail.findLast((line) => /error|Error|failed/.test(line)) ?? outputTail.at(-1);
    return {
      ...base,
      status: 'failed',
      reason: `exited with ${exitCode ?? signal}${last ? `: ${last.trim()}` : ''}`,
      outputTail,
    };
  }
  if (!report) {
    const skipped = outputTail.find((line) => line.startsWith('SKIPPED'));
    return skipped
      ? { ...base, status: 'skipped', reason: skipped.replace(/^SKIPPED:\s*/, '') }
      : { ...base, status: 'failed', reason: 'ended without writing its figures', outputTail };
  }
  return { ...base, status: 'ok' };
}

// --- Writing the results ------------------------------------------------------------------

function gitState() {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git('rev-parse', 'HEAD').trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no').trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** Three significant digits or so, thousands separated. */
function number(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString('en', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const minutes = (seconds: number) =>
  seconds < 60
    ? `${seconds.toFixed(0)} s`
    : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

interface Results {
  date: string;
  preset: Preset;
  command: string;
  startedAt: string;
  durationSeconds: number;
  machine: {
    cores: number;
    model: string;
    totalMemoryGiB: number;
    node: string;
    platform: string;
    loadAverageAtStart: number[];
  };
  git: { commit: string | null; dirty: boolean | null };
  services: Record<Service, ServiceState>;
  benchmarks: Outcome[];
}

function machineLine(results: Results) {
  const { machine, git } = results;
  const commit = git.commit
    ? `commit ${git.commit.slice(0, 10)}${git.dirty ? ' with uncommitted changes' : ''}`
    : 'no git commit';
  return (
    `${machine.cores} cores (${machine.model}), ${machine.totalMemoryGiB.toFixed(1)} GiB, ` +
    `Node ${machine.node}, ${machine.platform}; ${commit}; ` +
    `\`${results.command}\` took ${minutes(results.durationSeconds)} in all ` +
    `(load average ${machine.loadAverageAtStart.map((load) => load.toFixed(2)).join(' ')} at its start)`
  );
}

function markdown(results: Results): string {
  const lines = [
    `# Benchmarks, ${results.date} (${results.preset})`,
    '',
    `Machine: ${machineLine(results)}.`,
    '',
    'Each figure is ours beside a baseline measured in the same run; ratio = ours / baseline ' +
      '(↑ higher is better, ↓ lower is better). Goal: as the bench states it, of the ratio when ' +
      'there is a baseline, else of ours; ✓ met, ✗ not met in this run.',
    '',
    '| benchmark | figure | ours | baseline | ratio | goal | command |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const notes: string[] = [];
  for (const bench of results.benchmarks) {
    const command = `\`${bench.command}\``;
    if (bench.status !== 'ok') {
      lines.push(
        `| ${bench.name} | **${bench.status}**: ${cell(bench.reason ?? '')} | | | | | ${command} |`,
      );
    }
    bench.figures.forEach((figure, index) => {
      const baseline =
        figure.baseline === undefined
          ? '–'
          : `${number(figure.baseline)} ${figure.unit} (${figure.baselineName ?? 'baseline'})`;
      const ratio =
        figure.ratio === null
          ? '–'
          : `${figure.ratio.toFixed(figure.ratio >= 100 ? 0 : figure.ratio < 0.1 ? 3 : 2)}× ${figure.better === 'higher' ? '↑' : '↓'}`;
      const goal = figure.goal
        ? `${figure.goal}${figure.met === undefined ? '' : figure.met ? ' ✓' : ' ✗'}`
        : '';
      const first = index === 0 && bench.status === 'ok';
      lines.push(
        `| ${first ? bench.name : ''} | ${cell(figure.name)} | ${number(figure.ours)} ${figure.unit} | ` +
          `${cell(baseline)} | ${ratio} | ${cell(goal)} | ${first ? command : ''} |`,
      );
      // The JSON has every figure's note; the table, those that qualify a goal.
      if (figure.note && figure.goal) notes.push(`${bench.name}, ${figure.name}: ${figure.note}`);
    });
    if (bench.reduced) notes.push(`${bench.name}: ${bench.reduced}`);
    for (const note of bench.notes) notes.push(`${bench.name}: ${note}`);
  }
  const durations = results.benchmarks
    .filter((bench) => bench.durationSeconds !== undefined)
    .map((bench) => `${bench.name} ${minutes(bench.durationSeconds!)}`);
  lines.push('', `Durations: ${durations.join(', ')}.`);
  if (notes.length > 0) {
    lines.push('', 'Notes:', '', ...notes.map((note) => `- ${cell(note)}`));
  }
  return lines.join('\n') + '\n';
}

// --- Main ---------------------------------------------------------------------------------

const byPreset = PLANS.filter((plan) => !plan.presets || plan.presets.includes(PRESET));
let selected = byPreset;
if (flags.only) {
  const wanted = flags.only
    .split(',')
    .map((name) =>
      name
        .trim()
        .replace(/^bench\//, '')
        .replace(/\.ts$/, ''),
    )
    .filter(Boolean);
  const unknown = wanted.filter((name) => !PLANS.some((p) => p.name === name || p.file === name));
  if (unknown.length > 0) {
    throw new Error(
      `--only: no bench named ${unknown.join(', ')}; there are ${PLANS.map((p) => p.name).join(', ')}`,
    );
  }
  selected = byPreset.filter((plan) => wanted.includes(plan.name) || wanted.includes(plan.file));
}

const services = await probeServices();
const has = (service: Service) => services[service].reachable;
const startedAt = new Date();
const started = performance.now();
const loadAverageAtStart = os.loadavg();

if (flags.list) {
  for (const plan of selected) {
    const { args, reduced } = plan.args(PRESET, has);
    const lacking = missing(has, plan.needs);
    console.log(
      `${plan.name.padEnd(28)} ${commandOf(plan.file, args)}` +
        (lacking ? `  (skipped: ${lacking} not reachable)` : reduced ? `  (${reduced})` : ''),
    );
  }
  process.exit(0);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: a Ctrl-C reaches this process twice (from the terminal and through tsx).
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the running bench; no results written.`);
    if (!running) process.exit(130);
    signalGroup(running.pid, 'SIGTERM');
    // It stops what it started and exits; then so does the runner (or after 30 s regardless).
    setTimeout(() => {
      if (running) signalGroup(running.pid, 'SIGKILL');
      process.exit(130);
    }, 30_000).unref();
  });
}

console.log(
  `npm run bench (${PRESET}): ${selected.length} benches; services: ` +
    ALL_SERVICES.map(
      (service) => `${SERVICES[service].title} ${has(service) ? 'reachable' : 'NOT reachable'}`,
    ).join(', '),
);
const outcomes: Outcome[] = [];
for (const [index, plan] of selected.entries()) {
  const { args, reduced } = plan.args(PRESET, has);
  const command = commandOf(plan.file, args);
  const lacking = missing(has, plan.needs);
  if (lacking) {
    console.log(
      `\n[${index + 1}/${selected.length}] ${plan.name}: SKIPPED, ${lacking} not reachable`,
    );
    outcomes.push({
      name: plan.name,
      file: plan.file,
      status: 'skipped',
      reason: `needs ${lacking}, not reachable (npm run services:up)`,
      command,
      figures: [],
      notes: [],
    });
    continue;
  }
  console.log(
    `\n[${index + 1}/${selected.length}] ${plan.name}: ${command}${reduced ? ` (${reduced})` : ''}`,
  );
  const outcome = { name: plan.name, command, reduced, ...(await runBench(plan, args)) };
  if (interrupted) process.exit(130);
  console.log(
    `[${index + 1}/${selected.length}] ${plan.name}: ${outcome.status}` +
      `${outcome.reason ? ` (${outcome.reason})` : ''} in ${minutes(outcome.durationSeconds ?? 0)}`,
  );
  outcomes.push(outcome);
}

const durationSeconds = (performance.now() - started) / 1000;
const given = process.argv.slice(2);
const date = startedAt.toISOString().slice(0, 10);
const results: Results = {
  date,
  preset: PRESET,
  command: ['npm run bench', ...(given.length > 0 ? ['--', ...given] : [])].join(' '),
  startedAt: startedAt.toISOString(),
  durationSeconds,
  machine: {
    cores: os.cpus().length,
    model: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart,
  },
  git: gitState(),
  services,
  benchmarks: outcomes,
};
/** As `npm run lint` (prettier --check .) wants the files that are committed. */
async function writeFormatted(file: string, text: string) {
  const options = await prettier.resolveConfig(file);
  const formatted = await prettier.format(text, { ...options, filepath: file });
  await writeFile(file, formatted);
  return formatted;
}

/**
 * The README's copy of the latest table, between its two markers (README "Operating it"); false
 * when the markers are not there.
 */
async function showInReadme(table: string): Promise<boolean> {
  const readme = path.join(root, 'README.md');
  const text = await readFile(readme, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) return false;
  const shown = table.replace(/^# (.+)\n/, '**$1.**\n');
  await writeFormatted(
    readme,
    `${text.slice(0, start + README_START.length)}\n\n${shown}\n${text.slice(end)}`,
  );
  return true;
}
const README_START = '<!-- bench results: start (npm run bench writes this) -->';
const README_END = '<!-- bench results: end -->';

await mkdir(resultsDir, { recursive: true });
await writeFormatted(path.join(resultsDir, `${date}.json`), JSON.stringify(results, null, 2));
const table = await writeFormatted(path.join(resultsDir, `${date}.md`), markdown(results));
await writeFile(path.join(resultsDir, 'latest.md'), table);
// A run of some benches (--only) leaves the README's table of all of them alone.
const readmeUpdated = flags.only ? false : await showInReadme(table);
console.log(`\n${table}`);
console.log(
  `Written: bench/results/${date}.json, bench/results/${date}.md, bench/results/latest.md` +
    (readmeUpdated ? ', and the table in README.md' : ''),
);
process.exit(outcomes.some((outcome) => outcome.status === 'failed') ? 1 : 0);
