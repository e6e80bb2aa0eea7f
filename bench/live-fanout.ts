/**
 * Live fan-out: one event to N WebSocket clients (goal: at most 1.5× a bare `ws`
 * broadcast, docs/architecture.md "Performance goals"), measured as a ratio in one run:
 *
 *   (a) ours: the production `api` process (`node --import tsx src/main.ts api`, a child) with N
 *       graphql-ws clients subscribed to `telemetry(deviceIds: [X])` with the same selection;
 *       each event is a point published on the Redis live hub, as the pipeline does;
 *   (b) the baseline: a bare `ws` server (bench/support/ws-broadcast-server.ts, a child) that
 *       takes each event from a Redis channel too and sends one message of the same size,
 *       serialized once, to its N clients.
 *
 * Latency is from the publish (taken just before the PUBLISH) to each client's receipt, over all
 * clients of every event; "last" is the slowest client of an event, median and worst over the
 * events. Clients live in their own processes (bench/support/live-fanout-clients.ts), so the
 * servers' CPU is what is measured. Both sets of clients stay connected; events alternate
 * between the servers and the next is published once every client has the previous one, so
 * only one server is busy at a time and a neighbour's load weighs on both sides alike.
 *
 *   npm run services:up && npx tsx bench/live-fanout.ts [--clients 10000] [--events 20]
 *     [--client-processes 2] [--profile] [--variant plain|filtered]
 *
 * `--variant filtered` subscribes with `filter` (the device's type: the organization's pattern
 * channel, each device read once then trusted 10 s) and `sampleEvery: "100ms"` (events are at
 * least one fan-out apart, so each is the first of its interval and goes out at once).
 *
 * Each process needs a file descriptor per socket: the api process N (+ a few), each client
 * process 2N / processes. Raise `ulimit -n` before running if the bench says it is too low.
 * --profile runs the api process under `node --cpu-prof` and prints its self time by package.
 */
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { root } from '../test/support/child-process.js';
import { startBaselineServer } from './support/baseline-server.js';
import { startRole } from '../test/support/processes.js';
import { createProductionStack, findProductionServices } from '../test/support/production-stack.js';
import type { ClientCommand, ClientReport } from './support/live-fanout-clients.js';
import { summariseProfile } from './support/cpu-profile-summary.js';
import { reportFigures } from './support/report.js';

const { values: flags } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    events: { type: 'string', default: '20' },
    'client-processes': { type: 'string', default: '2' },
    profile: { type: 'boolean', default: false },
    variant: { type: 'string', default: 'plain' },
  },
});
if (flags.variant !== 'plain' && flags.variant !== 'filtered') {
  throw new Error(`--variant is plain or filtered, not ${flags.variant}`);
}
const FILTERED = flags.variant === 'filtered';
const CLIENTS = Number(flags.clients);
const EVENTS = Number(flags.events);
const CLIENT_PROCESSES = Number(flags['client-processes']);
const WARMUP_EVENTS = 3;
const EVENT_TIMEOUT_MS = 60_000;

const SUBSCRIPTION = FILTERED
  ? `subscription LiveTelemetry($filter: DeviceFilter!) {
  telemetry(filter: $filter, sampleEvery: "100ms") { deviceId ts metrics { metric value } }
}`
  : `subscription LiveTelemetry($deviceIds: [ID!]!) {
  telemetry(deviceIds: $deviceIds) { deviceId ts metrics { metric value } }
}`;

/** The soft limit of open files this shell hands its children (Node cannot raise its own). */
function openFilesLimit(): number {
  const limit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return limit === 'unlimited' ? Infinity : Number(limit);
}
const needed = Math.max(CLIENTS + 100, Math.ceil((2 * CLIENTS) / CLIENT_PROCESSES) + 100);
if (openFilesLimit() < needed) {
  throw new Error(
    `ulimit -n is ${openFilesLimit()}; ${CLIENTS} clients need ${needed}: run \`ulimit -n ${needed}\`` +
      ' (or raise the hard limit) first, or use more --client-processes',
  );
}

/** The client processes, each holding its share of both targets' sockets. */
function startClientProcesses() {
  const processes: ChildProcess[] = [];
  const waiters = new Set<(report: ClientReport, from: ChildProcess) => void>();
  let failure: Error | undefined;
  for (let i = 0; i < CLIENT_PROCESSES; i++) {
    const child = fork(path.join(root, 'bench/support/live-fanout-clients.ts'), {
      cwd: root,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (report: ClientReport) => {
      if (report.type === 'error') failure ??= new Error(report.message);
      for (const waiter of waiters) waiter(report, child);
    });
    processes.push(child);
  }
  /** Sends `command` to every process and waits for each one's report that `accept`s. */
  function all<T extends ClientReport>(
    command: (index: number) => ClientCommand,
    accept: (report: ClientReport) => report is T,
    timeoutMs: number,
  ): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const reports = new Map<ChildProcess, T>();
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(failure ?? new Error(`clients did not report in ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (report: ClientReport, from: ChildProcess) => {
        if (report.type === 'error') {
          clearTimeout(timer);
          waiters.delete(waiter);
          reject(failure);
          return;
        }
        if (!accept(report)) return;
        reports.set(from, report);
        if (reports.size < processes.length) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(processes.map((child) => reports.get(child)!));
      };
      waiters.add(waiter);
      processes.forEach((child, index) => child.send(command(index)));
    });
  }
  return {
    all,
    close() {
      for (const child of processes) if (child.connected) child.send({ type: 'close' });
    },
  };
}

type Clients = ReturnType<typeof startClientProcesses>;

/** Opens `CLIENTS` sockets to a target, shared out between the client processes. */
async function openTarget(
  clients: Clients,
  target: string,
  url: string,
  graphqlWs?: Extract<ClientCommand, { type: 'open' }>['graphqlWs'],
) {
  await clients.all(
    (index) => ({
      type: 'open',
      target,
      url,
      count: Math.floor(CLIENTS / CLIENT_PROCESSES) + (index < CLIENTS % CLIENT_PROCESSES ? 1 : 0),
      graphqlWs,
    }),
    (report): report is Extract<ClientReport, { type: 'opened' }> =>
      report.type === 'opened' && report.target === target,
    10 * 60_000,
  );
}

interface Side {
  name: string;
  publish: (seq: number) => Promise<void>;
  /** Per event: every client's latency in ms. */
  events: number[][];
}

const now = () => performance.timeOrigin + performance.now();
const arrivedAt = (target: string, seq: number | null) => {
  return (report: ClientReport): report is Extract<ClientReport, { type: 'arrived' }> =>
    report.type === 'arrived' && report.target === target && report.seq === seq;
};

/** Publishes one event and waits until every client has it; returns each client's latency. */
async function measureEvent(clients: Clients, side: Side, seq: number): Promise<number[]> {
  const arrived = clients.all(
    () => ({ type: 'expect', target: side.name, seq }),
    arrivedAt(side.name, seq),
    EVENT_TIMEOUT_MS,
  );
  // The expectation reaches the client processes before the event does (IPC first, then the
  // publish), but give them a moment so no frame can overtake it.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const publishedAt = now();
  await side.publish(seq);
  const reports = await arrived;
  return reports.flatMap((report) => report.times.map((at) => at - publishedAt));
}

/** Until every subscription is live: publishes now and then until every client got one. */
async function awaitLive(clients: Clients, side: Side, firstSeq: number) {
  const arrived = clients.all(
    () => ({ type: 'expect', target: side.name, seq: null }),
    arrivedAt(side.name, null),
    10 * 60_000,
  );
  let seq = firstSeq;
  let done = false;
  void arrived.then(() => (done = true)).catch(() => undefined);
  while (!done) {
    await side.publish(seq++);
    await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }
  await arrived;
  // Let the repeated warm-up events drain before anything is measured.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function summarise(side: Side) {
  const all = side.events.flat().sort((a, b) => a - b);
  const last = side.events.map((event) => Math.max(...event)).sort((a, b) => a - b);
  return {
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    lastMedian: percentile(last, 50),
    lastWorst: last[last.length - 1]!,
  };
}

const services = await findProductionServices();
if (!services) throw new Error('services are not running: npm run services:up');
const stack = await createProductionStack(services);
const profileDir = flags.profile
  ? await mkdtemp(path.join(os.tmpdir(), 'bench-live-fanout-'))
  : undefined;
const servers: { stop(): Promise<unknown> }[] = [];
const redis = new Redis(services.redis);
let clients: Clients | undefined;
try {
  const device = await stack.registerDevice('fanout-bench');
  const api = await startRole(
    'api',
    {
      ...stack.env,
      // One user opens every subscription: its rate limit and cap are not what is measured.
      RATE_LIMIT_USER_PER_SECOND: '1000000',
      RATE_LIMIT_USER_BURST: '1000000',
      GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: String(CLIENTS),
    },
    undefined,
    // On the command line: Node 20 refuses --cpu-prof in NODE_OPTIONS.
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  servers.push(api);
  const baselineChannel = `bench-live-fanout:${crypto.randomUUID()}`;
  const baselineServer = await startBaselineServer('ws broadcast baseline', [
    '--import',
    'tsx',
    'bench/support/ws-broadcast-server.ts',
    services.redis,
    baselineChannel,
  ]);
  servers.push(baselineServer);

  const pointOf = (seq: number) => ({
    orgId: stack.organizationId,
    deviceId: device.id,
    ts: Date.UTC(2026, 0, 1) + seq,
    metrics: { seq },
  });
  const sides: Side[] = [
    {
      name: 'baseline',
      publish: async (seq) =>
        void (await redis.publish(baselineChannel, JSON.stringify(pointOf(seq)))),
      events: [],
    },
    {
      name: 'ours',
      // The Redis live hub's channel for the device, as the pipeline publishes a stored point.
      publish: async (seq) =>
        void (await redis.publish(
          `telemetry:${stack.organizationId}:${device.id}`,
          JSON.stringify(pointOf(seq)),
        )),
      events: [],
    },
  ];

  clients = startClientProcesses();
  const opening = performance.now();
  await openTarget(clients, 'baseline', `ws://127.0.0.1:${baselineServer.port}`);
  await openTarget(clients, 'ours', `${api.baseUrl.replace('http', 'ws')}/graphql`, {
    token: stack.adminToken,
    query: SUBSCRIPTION,
    variables: FILTERED ? { filter: { type: 'test' } } : { deviceIds: [device.id] },
  });
  console.log(
    `${CLIENTS} clients per server connected in ${((performance.now() - opening) / 1000).toFixed(1)} s`,
  );
  let seq = 1;
  for (const side of sides) {
    await awaitLive(clients, side, seq);
    seq += 1_000_000;
  }
  for (let event = 0; event < WARMUP_EVENTS + EVENTS; event++) {
    for (const side of sides) {
      const latencies = await measureEvent(clients, side, seq++);
      if (event >= WARMUP_EVENTS) side.events.push(latencies);
    }
  }

  const [baseline, ours] = sides.map((side) => {
    const measured = summarise(side);
    const label =
      side.name === 'ours' ? 'ours: api process, graphql-ws' : 'baseline: bare ws broadcast';
    console.log(
      `${label.padEnd(32)} p50 ${measured.p50.toFixed(1).padStart(6)} ms  p99 ${measured.p99.toFixed(1).padStart(6)} ms` +
        `  last client: median ${measured.lastMedian.toFixed(1)} ms, worst ${measured.lastWorst.toFixed(1)} ms`,
    );
    return measured;
  }) as [ReturnType<typeof summarise>, ReturnType<typeof summarise>];
  console.log(
    `\nratio ours / bare ws, p99: ${(ours.p99 / baseline.p99).toFixed(2)} (target ≤ 1.50); ` +
      `p50: ${(ours.p50 / baseline.p50).toFixed(2)}; last client: ${(ours.lastMedian / baseline.lastMedian).toFixed(2)}` +
      `\n(${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, node ${process.version}, ` +
      `${CLIENTS} clients in ${CLIENT_PROCESSES} processes, ${EVENTS} events after ${WARMUP_EVENTS} warm-up each, ` +
      `${FILTERED ? 'telemetry(filter, sampleEvery)' : 'telemetry(deviceIds)'})`,
  );
  const bare = { unit: 'ms', baselineName: 'bare ws broadcast', better: 'lower' as const };
  const clientsOf = `${CLIENTS.toLocaleString('en')} clients, ${flags.variant}`;
  await reportFigures([
    {
      name: `event → every client p99, ${clientsOf}`,
      ours: ours.p99,
      baseline: baseline.p99,
      goal: '≤ 1.50',
      met: ours.p99 / baseline.p99 <= 1.5,
      ...bare,
    },
    {
      name: `event → every client p50, ${clientsOf}`,
      ours: ours.p50,
      baseline: baseline.p50,
      ...bare,
    },
    {
      name: `event → last client, median, ${clientsOf}`,
      ours: ours.lastMedian,
      baseline: baseline.lastMedian,
      ...bare,
    },
  ]);
} finally {
  clients?.close();
  await Promise.all(servers.map((server) => server.stop()));
  redis.disconnect();
  await stack.cleanup();
}

if (profileDir) {
  const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('the api process wrote no CPU profile');
  console.log(`\nCPU profile of the api process (${path.join(profileDir, file)}):`);
  console.log(await summariseProfile(path.join(profileDir, file), 40));
}
