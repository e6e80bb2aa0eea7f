/**
 * Production-path ingest throughput: points/s from devices through `ingest` → Kafka → `pipeline`
 * → InfluxDB (until every point is queryable), against two baselines measured in the same run:
 * - the same points written straight to InfluxDB's /write in equally sized batches;
 * - Kafka's own kafka-producer-perf-test (bench/support/kafka-producer-perf.ts) producing as many
 *   records, of the same average size, as ingest produced to the telemetry topic (read back from
 *   the topic after the run: one record carries one request's points of one device), with our
 *   producer's settings. Ingest's accepted rate is set against its records/s × points per
 *   record.
 *
 *   npm run services:up && npx tsx bench/production-ingest.ts [points=200000] [devices=20]
 *     [--interval-ms 1000] [--profile]
 *
 * A device's points are `--interval-ms` apart (once a second by default, as most devices report;
 * 1 ms is a high-rate device, whose every batch falls in a minute of thousands of points that
 * the rollups read back whole). --profile runs ingest and the pipeline under `node --cpu-prof` and
 * prints their self time while the points stream in, by package and by function.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { decodeMessage, MAX_MESSAGE_BYTES } from '../src/adapters/event-bus/kafka-codec.js';
import { streamPoints } from '../test/support/load.js';
import { startRole } from '../test/support/processes.js';
import { createProductionStack, findProductionServices } from '../test/support/production-stack.js';
import { summariseProfile } from './support/cpu-profile-summary.js';
import { runProducerPerf } from './support/kafka-producer-perf.js';
import { reportFigures } from './support/report.js';

const { values: flags, positionals } = parseArgs({
  options: {
    'interval-ms': { type: 'string', default: '1000' },
    profile: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const total = Number(positionals[0] ?? 200_000);
const deviceCount = Number(positionals[1] ?? 20);
/** Between a device's points: once a second, as most devices report; 1 for high-rate ones. */
const intervalMs = Number(flags['interval-ms']);
const batchSize = 500;
const perDevice = Math.floor(total / deviceCount);

const profileDir = flags.profile ? await mkdtemp(path.join(os.tmpdir(), 'bench-production-')) : '';
/** `node --cpu-prof` into a folder per role. */
function profileArgs(role: string): string[] {
  return profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, role)}`] : [];
}
/** The streaming, for --profile: the roles' start-up left out. */
const profileWindow = { from: 0n, to: 0n };

const services = await findProductionServices();
if (!services) throw new Error('services are not running: npm run services:up');
const stack = await createProductionStack(services);
const [ingest, pipeline] = await Promise.all([
  startRole('ingest', stack.env, 30_000, profileArgs('ingest')),
  startRole('pipeline', stack.env, 30_000, profileArgs('pipeline')),
]);

async function storedTotal(): Promise<number> {
  const response = await fetch(`${services!.influx}/query`, {
    method: 'POST',
    body: new URLSearchParams({
      db: stack.database,
      q: `SELECT COUNT("seq") FROM "${stack.measurement}"`,
    }),
  });
  const body = (await response.json()) as {
    results: { series?: { values: [string, number][] }[] }[];
  };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

/**
 * What ingest produced to the telemetry topic (private to this run): its partitions, records
 * (end offsets), points, and bytes of key + value + headers, read back by a consumer of its own.
 */
async function producedRecords() {
  const kafka = new Kafka({ brokers: services!.kafka.split(','), logLevel: logLevel.NOTHING });
  const topic = stack.env.KAFKA_TOPIC!;
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  const records = offsets.reduce((n, { high, low }) => n + Number(high) - Number(low), 0);
  const groupId = `${stack.env.KAFKA_GROUP_ID}-sizes`;
  const consumer = kafka.consumer({ groupId });
  let seen = 0;
  let points = 0;
  let bytes = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const { key, value, headers } of batch.messages) {
            seen++;
            points += decodeMessage(value).length;
            bytes += (key?.length ?? 0) + (value?.length ?? 0);
            for (const [name, header] of Object.entries(headers ?? {}))
              bytes += name.length + String(header).length;
          }
          if (seen >= records) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return { partitions: offsets.length, records, points, bytes };
}

try {
  // Baseline: the same number of points, straight into InfluxDB (another measurement).
  const baselineStart = performance.now();
  for (let from = 0; from < perDevice * deviceCount; from += batchSize) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(from + batchSize, perDevice * deviceCount); i++) {
      lines.push(
        `baseline,org_id=o,device_id=d${i % deviceCount} seq=${i},value=${i % 97} ${Date.UTC(2026, 0, 1) + Math.floor(i / deviceCount) * intervalMs}`,
      );
    }
    const response = await fetch(`${services.influx}/write?db=${stack.database}&precision=ms`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    if (response.status !== 204) throw new Error(`baseline write: ${response.status}`);
  }
  const baselineSeconds = (performance.now() - baselineStart) / 1000;

  const devices = await Promise.all(
    Array.from({ length: deviceCount }, (_, i) => stack.registerDevice(`bench-${i}`)),
  );
  const start = performance.now();
  profileWindow.from = process.hrtime.bigint();
  const result = await streamPoints({
    ingestUrl: ingest.baseUrl,
    devices,
    pointsPerDevice: perDevice,
    batchSize,
    concurrency: 8,
    baseTs: Date.UTC(2026, 0, 1),
    intervalMs,
  });
  const acceptedSeconds = (performance.now() - start) / 1000;
  while ((await storedTotal()) < result.accepted)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const storedSeconds = (performance.now() - start) / 1000;
  profileWindow.to = process.hrtime.bigint();

  // Kafka's own producer on as many records of the same size, once ingest is idle.
  const produced = await producedRecords();
  const pointsPerRecord = produced.points / produced.records;
  const perf = await runProducerPerf({
    brokers: services.kafka,
    partitions: produced.partitions,
    records: produced.records,
    recordSize: Math.round(produced.bytes / produced.records),
    // Our producer's settings (kafka-event-bus.ts): acks -1, idempotent, one request in flight,
    // no compression (kafkajs's default); no linger (kafkajs has none: a send leaves at once, and
    // what arrives meanwhile goes in the next one, as with linger.ms=0, whose 4.x default is 5);
    // and a send() of up to MAX_MESSAGE_BYTES (the default batch.size, 16 KiB, would put each of
    // our records, larger than that, in a batch of its own).
    producerProps: {
      acks: 'all',
      'enable.idempotence': 'true',
      'max.in.flight.requests.per.connection': 1,
      'compression.type': 'none',
      'linger.ms': 0,
      'batch.size': MAX_MESSAGE_BYTES,
    },
  });
  const perfPointsPerSecond = perf.recordsPerSecond * pointsPerRecord;

  const rate = (points: number, seconds: number) =>
    Math.round(points / seconds).toLocaleString('en');
  console.log(`points: ${result.accepted} from ${deviceCount} devices, ${batchSize} per request`);
  console.log(
    `baseline, direct InfluxDB /write:        ${rate(result.accepted, baselineSeconds)} points/s`,
  );
  console.log(
    `ingest accepted (202, Kafka acked):      ${rate(result.accepted, acceptedSeconds)} points/s`,
  );
  console.log(
    `end to end (queryable in InfluxDB):      ${rate(result.accepted, storedSeconds)} points/s`,
  );
  console.log(
    `ratio end-to-end / direct write:         ${(baselineSeconds / storedSeconds).toFixed(2)}`,
  );
  console.log(
    `records ingest produced to Kafka:        ${produced.records} on ${produced.partitions} partitions, ` +
      `${Math.round(produced.bytes / produced.records)} bytes and ${pointsPerRecord.toFixed(1)} points each`,
  );
  console.log(`kafka-producer-perf-test:                ${perf.summary}`);
  console.log(
    `ingest accepted:                         ${rate(produced.records, acceptedSeconds)} records/s, ` +
      `perf test ${rate(perf.recordsPerSecond, 1)} records/s (${rate(perfPointsPerSecond, 1)} points/s equivalent)`,
  );
  console.log(
    `ratio ingest accepted / perf test:       ${(result.accepted / acceptedSeconds / perfPointsPerSecond).toFixed(2)}`,
  );
  const direct = {
    unit: 'points/s',
    baselineName: 'direct InfluxDB /write',
    baseline: result.accepted / baselineSeconds,
    better: 'higher' as const,
  };
  // Issue 13, goal 2.
  const endToEnd = baselineSeconds / storedSeconds;
  const accepted = result.accepted / acceptedSeconds;
  await reportFigures([
    {
      name: 'end to end (queryable in InfluxDB)',
      ours: result.accepted / storedSeconds,
      ...direct,
      goal: '≥ 0.70',
      met: endToEnd >= 0.7,
    },
    {
      name: 'ingest accepted (202, Kafka acked)',
      ours: accepted,
      ...direct,
    },
    {
      name: 'ingest accepted (202, Kafka acked), on 2 cores',
      unit: 'points/s',
      ours: accepted,
      better: 'higher',
      goal: '≥ 150,000 points/s',
      met: accepted >= 150_000,
    },
    {
      name: 'ingest accepted vs Kafka producer',
      unit: 'points/s',
      ours: accepted,
      baselineName: 'kafka-producer-perf-test, same records, × points per record',
      baseline: perfPointsPerSecond,
      better: 'higher',
      goal: '≥ 0.50',
      met: accepted / perfPointsPerSecond >= 0.5,
    },
  ]);
} finally {
  await Promise.all([ingest.stop(), pipeline.stop()]);
  for (const role of profileDir ? ['ingest', 'pipeline'] : []) {
    // The main thread's profile is the first one written (workers write theirs after).
    const dir = path.join(profileDir, role);
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile')).sort();
    if (!file) continue;
    console.log(`${role}, while points stream in:`);
    console.log(await summariseProfile(path.join(dir, file), 40, profileWindow));
  }
  await stack.cleanup();
}
