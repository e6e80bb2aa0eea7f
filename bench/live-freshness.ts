/**
 * Freshness of the live path (issue "Live dashboards and alerting"): from ingest's 202 to a
 * dashboard's receipt of the point over graphql-ws, p50 and p99, at each offered rate, on the
 * embedded app and on the production processes (ingest → Kafka's ack → Redis → api; the pipeline
 * stores the same points meanwhile, on the same cores). Goals at 10,000 points/s: p99 ≤ 10 ms
 * embedded, ≤ 50 ms production.
 *
 *   npm run services:up && npx tsx bench/live-freshness.ts [--target embedded|production|both]
 *     [--rates 1000,10000] [--seconds 10] [--devices 100] [--batch 10]
 *
 * 100 devices send `--batch` points per request (a device buffering a few readings, as most
 * do), spread evenly over each second; one dashboard subscribes to all of them with
 * `telemetry(deviceIds)`. Each point's latency is its receipt minus the time its request's 202
 * arrived, so the ingest request itself is not counted (a negative value: delivered before the
 * 202 came back). The load generator and the dashboard share this process; the servers run in
 * their own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RegisterDeviceDocument } from '../test/generated/graphql.js';
import { createGraphQLClient, expectData } from '../test/support/graphql-client.js';
import { liveClient } from '../test/support/live-client.js';
import type { RunningChild } from '../test/support/child-process.js';
import { startEmbeddedProcess, startRole } from '../test/support/processes.js';
import { createProductionStack, findProductionServices } from '../test/support/production-stack.js';
import { reportFigures, type Figure } from './support/report.js';

const { values: flags } = parseArgs({
  options: {
    target: { type: 'string', default: 'both' },
    rates: { type: 'string', default: '1000,10000' },
    seconds: { type: 'string', default: '10' },
    devices: { type: 'string', default: '100' },
    batch: { type: 'string', default: '10' },
  },
});
const RATES = flags.rates.split(',').map(Number);
const SECONDS = Number(flags.seconds);
const DEVICES = Number(flags.devices);
const BATCH = Number(flags.batch);
const TICK_MS = 10;
const UNLIMITED = {
  RATE_LIMIT_DEVICE_PER_SECOND: '1000000',
  RATE_LIMIT_DEVICE_BURST: '1000000',
};

interface Target {
  name: string;
  ingestUrl: string;
  apiUrl: string;
  adminToken: string;
  children: RunningChild[];
  cleanup: () => Promise<void>;
}

async function embedded(): Promise<Target> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-freshness-'));
  const app = await startEmbeddedProcess({ DATA_DIR: dataDir, ...UNLIMITED });
  return {
    name: 'embedded',
    ingestUrl: app.baseUrl,
    apiUrl: app.baseUrl,
    adminToken: app.adminToken,
    children: [app],
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function production(): Promise<Target> {
  const services = await findProductionServices();
  if (!services) throw new Error('services are not running: npm run services:up');
  const stack = await createProductionStack(services);
  const env = { ...stack.env, ...UNLIMITED };
  const [ingest, pipeline, api] = await Promise.all([
    startRole('ingest', env),
    startRole('pipeline', env),
    startRole('api', env),
  ]);
  return {
    name: 'production',
    ingestUrl: ingest.baseUrl,
    apiUrl: api.baseUrl,
    adminToken: stack.adminToken,
    children: [ingest, pipeline, api],
    cleanup: () => stack.cleanup(),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function measure(target: Target) {
  const gql = createGraphQLClient(target.apiUrl, target.adminToken);
  const devices: { id: string; token: string }[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const { registerDevice } = await expectData(
      gql(RegisterDeviceDocument, {
        input: { externalId: `fresh-${i}`, name: `Fresh ${i}`, type: 'meter' },
      }),
    );
    devices.push({ id: registerDevice.device.id, token: registerDevice.token });
  }
  const acceptedAt = new Map<string, number>();
  const receivedAt = new Map<string, number>();
  const client = liveClient(target.apiUrl, target.adminToken);
  client.subscribe(
    {
      query: `subscription ($ids: [ID!]!) { telemetry(deviceIds: $ids) { deviceId ts } }`,
      variables: { ids: devices.map((device) => device.id) },
    },
    {
      next: (result) => {
        const at = performance.timeOrigin + performance.now();
        const point = (result.data as { telemetry: { deviceId: string; ts: string } }).telemetry;
        receivedAt.set(`${point.deviceId} ${Date.parse(point.ts)}`, at);
      },
      error: (error) => console.error('subscription failed', error),
      complete: () => undefined,
    },
  );
  // Per device, strictly increasing point times (one ms apart), starting well in the past.
  const nextTs = devices.map(() => Date.now() - 3_600_000);
  let failures = 0;
  async function post(index: number) {
    const device = devices[index]!;
    const points = Array.from({ length: BATCH }, () => ({
      ts: ++nextTs[index]!,
      metrics: { power: 1 },
    }));
    const response = await fetch(`${target.ingestUrl}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${device.token}` },
      body: JSON.stringify(points),
    });
    await response.arrayBuffer();
    if (response.status !== 202) {
      failures++;
      return;
    }
    const at = performance.timeOrigin + performance.now();
    for (const point of points) acceptedAt.set(`${device.id} ${point.ts}`, at);
  }
  // Until the subscription is live: a request now and then until one of its points arrives.
  while (receivedAt.size === 0) {
    await post(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const results = [];
  for (const rate of RATES) {
    acceptedAt.clear();
    receivedAt.clear();
    failures = 0;
    const requestsPerTick = (rate / BATCH) * (TICK_MS / 1000);
    let owed = 0;
    let device = 0;
    const inFlight = new Set<Promise<void>>();
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      const tickStart = performance.now();
      owed += requestsPerTick;
      for (; owed >= 1; owed--) {
        const sending = post(device).catch(() => void failures++);
        inFlight.add(sending);
        void sending.finally(() => inFlight.delete(sending));
        device = (device + 1) % DEVICES;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, TICK_MS - (performance.now() - tickStart))),
      );
    }
    await Promise.all(inFlight);
    // Stragglers.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const latencies: number[] = [];
    let missing = 0;
    for (const [key, at] of acceptedAt) {
      const received = receivedAt.get(key);
      if (received === undefined) missing++;
      else latencies.push(received - at);
    }
    latencies.sort((a, b) => a - b);
    const result = {
      target: target.name,
      rate,
      accepted: acceptedAt.size,
      achieved: Math.round(acceptedAt.size / SECONDS),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1)!,
      missing,
      failures,
    };
    console.log(
      `${target.name.padEnd(10)} offered ${String(rate).padStart(6)}/s  accepted ${String(result.achieved).padStart(6)}/s  ` +
        `202 → dashboard p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99.toFixed(1).padStart(7)} ms  ` +
        `max ${result.max.toFixed(0).padStart(6)} ms  not delivered ${missing}  failed requests ${failures}`,
    );
    results.push(result);
  }
  await client.dispose();
  return results;
}

const targets = flags.target === 'both' ? ['embedded', 'production'] : [flags.target];
const figures: Figure[] = [];
const GOAL_P99_MS: Record<string, number> = { embedded: 10, production: 50 };
for (const name of targets) {
  const target = name === 'embedded' ? await embedded() : await production();
  try {
    for (const result of await measure(target)) {
      const at = `${result.target}, ${result.rate.toLocaleString('en')}/s offered`;
      const delivery = `${result.achieved.toLocaleString('en')}/s accepted, ${result.missing} not delivered, ${result.failures} failed requests`;
      figures.push(
        {
          name: `202 → dashboard p99, ${at}`,
          unit: 'ms',
          ours: result.p99,
          better: 'lower',
          goal: result.rate === 10_000 ? `≤ ${GOAL_P99_MS[result.target]} ms` : undefined,
          met: result.rate === 10_000 ? result.p99 <= GOAL_P99_MS[result.target]! : undefined,
          note: delivery,
        },
        { name: `202 → dashboard p50, ${at}`, unit: 'ms', ours: result.p50, better: 'lower' },
      );
    }
  } finally {
    await Promise.all(target.children.map((child) => child.stop()));
    await target.cleanup();
  }
}
console.log(
  `\n(${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, node ${process.version}; ` +
    `${DEVICES} devices, ${BATCH} points a request, ${SECONDS} s per rate; goals at 10,000/s: ` +
    'p99 ≤ 10 ms embedded, ≤ 50 ms production)',
);
await reportFigures(figures);
