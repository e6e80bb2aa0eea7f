/**
 * Live fan-out: one event to N WebSocket subscribers (goals, docs/architecture.md "Performance
 * goals": at most 1.5× a bare `ws` broadcast; 50,000 graphql-ws subscribers held by one api
 * process in ≤ 2 GiB RSS), measured as a ratio in one run:
 *
 *   (a) ours: the production `api` process (`node --import tsx src/main.ts api`, a child) with N
 *       graphql-ws subscriptions to `telemetry(deviceIds: [X])` with the same selection, K per
 *       connection (`--per-connection`, distinct ids, one device: every subscription gets every
 *       event), so N / K connections; each event is a point published on the Redis live hub, as
 *       the pipeline does;
 *   (b) the baseline: a bare `ws` server (bench/support/ws-broadcast-server.ts, a child) that
 *       takes each event from a Redis channel too and sends, to each of its N / K clients, K
 *       messages of the same size (one per subscription id, each serialized once per event).
 *       Both servers thus write one message per subscriber over the same number of sockets: the
 *       baseline is what the sockets and frames cost with no GraphQL, protocol or auth.
 *
 * Latency is from the publish (taken just before the PUBLISH) to each subscriber's receipt, over
 * all subscribers of every event; "last" is the slowest subscriber of an event, median and worst
 * over the events. Clients live in their own processes (bench/support/live-fanout-clients.ts),
 * so the servers' CPU is what is measured; their sockets bind source addresses 127.0.0.2 … in
 * turn (`--source-addresses`), so 2 N / K connections are not bounded by one address's ephemeral
 * ports (/proc/sys/net/ipv4/ip_local_port_range). Both sets of clients stay connected; events
 * alternate between the servers and the next is published once every subscriber has the
 * previous one, so only one server is busy at a time and a neighbour's load weighs on both sides
 * alike.
 *
 * The api and the bare server are sampled from /proc (bench/support/process-stats.ts):
 * RSS at rest, its maximum while the subscribers are held, and after the clients left; CPU while
 * the subscribers connect, and CPU time per event.
 *
 *   npm run services:up && npx tsx bench/live-fanout.ts [--clients 10000] [--events 20]
 *     [--per-connection 1] [--client-processes 2] [--source-addresses 8] [--profile]
 *     [--variant plain|filtered] [--allow-fd-shortfall]
 *
 * `--clients` counts subscribers (a multiple of `--per-connection`). `--variant filtered`
 * subscribes with `filter` (the device's type: the organization's pattern channel, each device
 * read once then trusted 10 s) and `sampleEvery: "100ms"` (events are at least one fan-out apart,
 * so each is the first of its interval and goes out at once).
 *
 * Each process needs a file descriptor per socket: the api and bare servers N / K (+ a few), each
 * client process 2 N / K / processes. The bench raises each child's open-file limit (prlimit) as
 * far as the hard limit allows and refuses to start when one stays short (use more
 * --client-processes for the clients), unless `--allow-fd-shortfall`, which runs anyway to show
 * what breaks. The api runs with GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER = N (one user holds every
 * subscription), GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION = max(K, 100) and the user's rate
 * limit out of the way. --profile runs the api process under `node --cpu-prof` and prints its
 * self time by package.
 *
 *   50,000 subscribers: npx tsx bench/live-fanout.ts --clients 50000 --per-connection 10 \
 *     --client-processes 4 --events 10
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { root, startChild } from '../test/support/child-process.js';
import { startRole } from '../test/support/processes.js';
import { createProductionStack, findProductionServices } from '../test/support/production-stack.js';
import type { ClientCommand, ClientReport } from './support/live-fanout-clients.js';
import { summariseProfile } from './support/cpu-profile-summary.js';
import { openFiles, raiseOpenFiles, sampleProcess } from './support/process-stats.js';
import { reportFigures, type Figure } from './support/report.js';

const { values: flags } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    events: { type: 'string', default: '20' },
    'per-connection': { type: 'string', default: '1' },
    'client-processes': { type: 'string', default: '2' },
    'source-addresses': { type: 'string', default: '8' },
    'allow-fd-shortfall': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    variant: { type: 'string', default: 'plain' },
  },
});
if (flags.variant !== 'plain' && flags.variant !== 'filtered') {
  throw new Error(`--variant is plain or filtered, not ${flags.variant}`);
}
const FILTERED = flags.variant === 'filtered';
/** Subscribers per server. */
const CLIENTS = Number(flags.clients);
const PER_CONNECTION = Number(flags['per-connection']);
if (!Number.isInteger(PER_CONNECTION) || PER_CONNECTION < 1 || CLIENTS % PER_CONNECTION !== 0) {
  throw new Error(
    `--clients (${CLIENTS}) must be a multiple of --per-connection (a positive integer)`,
  );
}
/** Sockets per server. */
const CONNECTIONS = CLIENTS / PER_CONNECTION;
const EVENTS = Number(flags.events);
const CLIENT_PROCESSES = Number(flags['client-processes']);
const SOURCE_ADDRESSES = Array.from(
  { length: Number(flags['source-addresses']) },
  (_, i) => `127.0.0.${2 + i}`,
);
const WARMUP_EVENTS = 3;
const EVENT_TIMEOUT_MS = 60_000;
const GIB = 1024;

const SUBSCRIPTION = FILTERED
  ? `subscription LiveTelemetry($filter: DeviceFilter!) {
  telemetry(filter: $filter, sampleEvery: "100ms") { deviceId ts metrics { metric value } }
}`
  : `subscription LiveTelemetry($deviceIds: [ID!]!) {
  telemetry(deviceIds: $deviceIds) { deviceId ts metrics { metric value } }
}`;

/** Open files each server and each client process needs: a socket each, and a margin. */
const SERVER_FILES = CONNECTIONS + 200;
const CLIENT_FILES = Math.ceil((2 * CONNECTIONS) / CLIENT_PROCESSES) + 200;
const shortfalls: string[] = [];

/**
 * Raises a child's open-file limit to `wanted` (prlimit); a limit that stays short is a refusal
 * to run, or with --allow-fd-shortfall a warning (the run then shows what breaks).
 */
async function ensureOpenFiles(name: string, pid: number | undefined, wanted: number) {
  if (pid === undefined) throw new Error(`${name} has no pid`);
  const { soft, hard, refusal } = await raiseOpenFiles(pid, wanted);
  if (soft >= wanted) return soft;
  const message =
    `${name} (pid ${pid}) may open ${soft} files (hard limit ${hard}${refusal ? `; prlimit: ${refusal}` : ''}), ` +
    `needs ${wanted} for its sockets`;
  if (!flags['allow-fd-shortfall']) {
    throw new Error(
      `${message}: raise the hard limit (ulimit -Hn, as root), use more --client-processes for ` +
        'the clients, or --allow-fd-shortfall to see what breaks',
    );
  }
  console.warn(`warning: ${message}; running anyway (--allow-fd-shortfall)`);
  shortfalls.push(message);
  return soft;
}

/** The client processes, each holding its share of both targets' sockets. */
async function startClientProcesses() {
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
  for (const [index, child] of processes.entries()) {
    await ensureOpenFiles(`client process ${index + 1}`, child.pid, CLIENT_FILES);
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
    /** Closes every socket; waits up to `timeoutMs` for the processes to leave, then kills them. */
    async close(timeoutMs = 30_000) {
      await Promise.all(
        processes.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          if (child.connected) child.send({ type: 'close' });
          const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

type Clients = Awaited<ReturnType<typeof startClientProcesses>>;

/** Opens `CONNECTIONS` sockets to a target, shared out between the client processes. */
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
      count:
        Math.floor(CONNECTIONS / CLIENT_PROCESSES) +
        (index < CONNECTIONS % CLIENT_PROCESSES ? 1 : 0),
      perConnection: PER_CONNECTION,
      localAddresses: SOURCE_ADDRESSES,
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

/** The bare broadcast server; like startBaselineServer, but its pid is needed for its limits. */
async function startBareServer(redisUrl: string, channel: string) {
  const child = await startChild({
    name: 'ws broadcast baseline',
    args: [
      '--import',
      'tsx',
      'bench/support/ws-broadcast-server.ts',
      redisUrl,
      channel,
      String(PER_CONNECTION),
    ],
    env: {},
    ready(line, found) {
      const port = /^\{"port":(\d+)\}$/.exec(line)?.[1];
      if (port) found.port = port;
      return Boolean(found.port);
    },
  });
  return { port: Number(child.found.port), pid: child.child.pid, stop: () => child.stop() };
}

const mib = (value: number) => `${value.toFixed(0)} MiB`;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const services = await findProductionServices();
if (!services) throw new Error('services are not running: npm run services:up');
const stack = await createProductionStack(services);
const profileDir = flags.profile
  ? await mkdtemp(path.join(os.tmpdir(), 'bench-live-fanout-'))
  : undefined;
const servers: { stop(): Promise<unknown> }[] = [];
const redis = new Redis(services.redis);
let clients: Clients | undefined;
/** The api's last output lines, shown when the run fails (what broke, from its side). */
let apiLogs: string[] = [];
const samplers: ReturnType<typeof sampleProcess>[] = [];
try {
  const device = await stack.registerDevice('fanout-bench');
  const apiEnv = {
    // One user opens every subscription: its rate limit and cap are not what is measured.
    RATE_LIMIT_USER_PER_SECOND: '1000000',
    RATE_LIMIT_USER_BURST: '1000000',
    GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: String(CLIENTS),
    GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(Math.max(PER_CONNECTION, 100)),
  };
  const api = await startRole(
    'api',
    { ...stack.env, ...apiEnv },
    undefined,
    // On the command line: Node 20 refuses --cpu-prof in NODE_OPTIONS.
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  servers.push(api);
  apiLogs = api.logs;
  const apiPid = api.child.pid!;
  const baselineChannel = `bench-live-fanout:${crypto.randomUUID()}`;
  const baselineServer = await startBareServer(services.redis, baselineChannel);
  servers.push(baselineServer);
  const apiFiles = await ensureOpenFiles('api process', apiPid, SERVER_FILES);
  const bareFiles = await ensureOpenFiles('bare ws server', baselineServer.pid, SERVER_FILES);
  console.log(
    `api settings: ${Object.entries(apiEnv)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ')}` +
      `\nopen-file limits: api ${apiFiles}, bare ws ${bareFiles}, client processes ≥ ${CLIENT_FILES} wanted` +
      ` (sockets per server: ${CONNECTIONS}); source addresses ${SOURCE_ADDRESSES[0]}…${SOURCE_ADDRESSES.at(-1)}`,
  );
  const apiStats = sampleProcess(apiPid);
  const bareStats = sampleProcess(baselineServer.pid!);
  samplers.push(apiStats, bareStats);
  const markBoth = (name: string) => Promise.all([apiStats.mark(name), bareStats.mark(name)]);

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

  clients = await startClientProcesses();
  await delay(2_000);
  await markBoth('rest');
  // The api first: with too few open files (--allow-fd-shortfall), what breaks is the api's.
  const opening = performance.now();
  await openTarget(clients, 'ours', `${api.baseUrl.replace('http', 'ws')}/graphql`, {
    token: stack.adminToken,
    query: SUBSCRIPTION,
    variables: FILTERED ? { filter: { type: 'test' } } : { deviceIds: [device.id] },
  });
  const oursOpened = performance.now();
  await markBoth('ours opened');
  await openTarget(clients, 'baseline', `ws://127.0.0.1:${baselineServer.port}`);
  const baselineOpened = performance.now();
  await markBoth('baseline opened');
  console.log(
    `${CLIENTS} subscribers per server (${CONNECTIONS} connections × ${PER_CONNECTION}) connected: ` +
      `api in ${((oursOpened - opening) / 1000).toFixed(1)} s, ` +
      `bare ws in ${((baselineOpened - oursOpened) / 1000).toFixed(1)} s`,
  );
  let seq = 1;
  for (const side of sides) {
    await awaitLive(clients, side, seq);
    seq += 1_000_000;
  }
  const [apiSockets, bareSockets] = await Promise.all([
    openFiles(apiPid),
    openFiles(baselineServer.pid!),
  ]);
  await markBoth('events');
  const eventsStarted = performance.now();
  for (let event = 0; event < WARMUP_EVENTS + EVENTS; event++) {
    for (const side of sides) {
      const latencies = await measureEvent(clients, side, seq++);
      if (event >= WARMUP_EVENTS) side.events.push(latencies);
    }
  }
  await markBoth('measured');
  const eventsWallSeconds = (performance.now() - eventsStarted) / 1000;
  await clients.close(60_000);
  clients = undefined;
  await delay(5_000);
  await markBoth('left');

  const [baseline, ours] = sides.map((side) => {
    const measured = summarise(side);
    const label =
      side.name === 'ours' ? 'ours: api process, graphql-ws' : 'baseline: bare ws broadcast';
    console.log(
      `${label.padEnd(32)} p50 ${measured.p50.toFixed(1).padStart(6)} ms  p99 ${measured.p99.toFixed(1).padStart(6)} ms` +
        `  last subscriber: median ${measured.lastMedian.toFixed(1)} ms, worst ${measured.lastWorst.toFixed(1)} ms`,
    );
    return measured;
  }) as [ReturnType<typeof summarise>, ReturnType<typeof summarise>];

  /** The process's figures: RSS at rest, held (max, last) and after; CPU connecting and per event. */
  const processFigures = (
    stats: ReturnType<typeof sampleProcess>,
    openedFrom: string,
    openedTo: string,
  ) => {
    const rest = stats.between('rest', 'rest');
    const held = stats.between('rest', 'measured');
    const connecting = stats.between(openedFrom, openedTo);
    const events = stats.between('events', 'measured');
    const after = stats.between('measured', 'left');
    const eventsSeconds = (events.cpuPercent / 100) * eventsWallSeconds;
    return {
      restMiB: rest.rssLastMiB,
      heldMaxMiB: held.rssMaxMiB,
      heldLastMiB: held.rssLastMiB,
      afterMiB: after.rssLastMiB,
      connectingCpuPercent: connecting.cpuPercent,
      eventsCpuPercent: events.cpuPercent,
      machineCpuPercent: events.machineCpuPercent,
      /** CPU time per event sent to this server (each side had WARMUP_EVENTS + EVENTS). */
      cpuMsPerEvent: (eventsSeconds * 1000) / (WARMUP_EVENTS + EVENTS),
    };
  };
  const apiProcess = processFigures(apiStats, 'rest', 'ours opened');
  const bareProcess = processFigures(bareStats, 'ours opened', 'baseline opened');
  for (const [label, figures, sockets] of [
    ['api process', apiProcess, apiSockets],
    ['bare ws server', bareProcess, bareSockets],
  ] as const) {
    console.log(
      `${label.padEnd(15)} RSS at rest ${mib(figures.restMiB)}, held max ${mib(figures.heldMaxMiB)} ` +
        `(last ${mib(figures.heldLastMiB)}), after the clients left ${mib(figures.afterMiB)}; ` +
        `CPU connecting ${figures.connectingCpuPercent.toFixed(0)} %, ` +
        `${figures.cpuMsPerEvent.toFixed(1)} ms per event; ${sockets} open files while held`,
    );
  }
  console.log(
    `machine CPU while measuring: ${apiProcess.machineCpuPercent.toFixed(0)} % of ${os.cpus().length * 100} %`,
  );
  const ratio = ours.p99 / baseline.p99;
  const rssMet = apiProcess.heldMaxMiB <= 2 * GIB;
  console.log(
    `\nratio ours / bare ws, p99: ${ratio.toFixed(2)} (target ≤ 1.50); ` +
      `p50: ${(ours.p50 / baseline.p50).toFixed(2)}; last subscriber: ${(ours.lastMedian / baseline.lastMedian).toFixed(2)}` +
      `\napi RSS held: max ${mib(apiProcess.heldMaxMiB)} (target ≤ 2048 MiB: ${rssMet ? 'met' : 'NOT met'})` +
      `\n(${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, node ${process.version}, ` +
      `${CLIENTS} subscribers, ${PER_CONNECTION} per connection, clients in ${CLIENT_PROCESSES} processes ` +
      `from ${SOURCE_ADDRESSES.length} source addresses, ${EVENTS} events after ${WARMUP_EVENTS} warm-up each, ` +
      `${FILTERED ? 'telemetry(filter, sampleEvery)' : 'telemetry(deviceIds)'})`,
  );
  const bare = { unit: 'ms', baselineName: 'bare ws broadcast', better: 'lower' as const };
  const clientsOf =
    `${CLIENTS.toLocaleString('en')} clients, ${flags.variant}` +
    (PER_CONNECTION > 1 ? `, ${PER_CONNECTION} per connection` : '');
  // The 50,000-subscriber goal holds at 50,000 or more; a smaller run says nothing of it.
  const atScale = CLIENTS >= 50_000;
  const figures: Figure[] = [
    {
      name: `event → every client p99, ${clientsOf}`,
      ours: ours.p99,
      baseline: baseline.p99,
      goal: '≤ 1.50',
      met: ratio <= 1.5,
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
    {
      name: `api RSS, max while holding, ${clientsOf}`,
      unit: 'MiB',
      ours: apiProcess.heldMaxMiB,
      better: 'lower',
      goal: '≤ 2048 MiB',
      met: atScale ? rssMet : undefined,
      note:
        `at rest ${mib(apiProcess.restMiB)}, last while held ${mib(apiProcess.heldLastMiB)}, ` +
        `after the clients left ${mib(apiProcess.afterMiB)}; bare ws server: max ` +
        `${mib(bareProcess.heldMaxMiB)}, after ${mib(bareProcess.afterMiB)}`,
    },
    {
      name: `server RSS growth while holding, ${clientsOf}`,
      unit: 'MiB',
      ours: apiProcess.heldMaxMiB - apiProcess.restMiB,
      baselineName: 'bare ws server',
      baseline: bareProcess.heldMaxMiB - bareProcess.restMiB,
      better: 'lower',
    },
    {
      name: `server CPU time per event, ${clientsOf}`,
      unit: 'ms',
      ours: apiProcess.cpuMsPerEvent,
      baselineName: 'bare ws server',
      baseline: bareProcess.cpuMsPerEvent,
      better: 'lower',
    },
    {
      name: `server CPU while subscribers connect, ${clientsOf}`,
      unit: '% of a core',
      ours: apiProcess.connectingCpuPercent,
      baselineName: 'bare ws server',
      baseline: bareProcess.connectingCpuPercent,
      better: 'lower',
    },
  ];
  await reportFigures(figures, shortfalls);
} catch (error) {
  console.error(`the api's last output lines:\n${apiLogs.slice(-15).join('\n')}`);
  throw error;
} finally {
  for (const sampler of samplers) sampler.stop();
  await clients?.close();
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
