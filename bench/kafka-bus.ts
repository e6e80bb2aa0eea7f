/**
 * Kafka event bus end to end (publish in ingest-sized batches → consumer handler) against raw
 * kafkajs sending and consuming the same number of equally sized messages with no codec, no
 * idempotent producer and default auto-commit, in the same run on the same broker.
 *
 *   npx tsx bench/kafka-bus.ts [points] [concurrency]
 *
 * Two shapes of publish call: "device" (an ingest request authenticates one device, so its 100
 * points become one message) and "gateway" (100 points of 100 devices: 100 messages).
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { encodePoints } from '../src/adapters/event-bus/kafka-codec.js';
import { createKafkaEventBus } from '../src/adapters/event-bus/kafka-event-bus.js';
import type { TelemetryPoint } from '../src/domain/telemetry.js';
import { reportFigures, type Figure } from './support/report.js';
import { median } from './support/stats.js';

const POINTS = Number(process.argv[2] ?? 100_000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const BATCH = 100;
const ROUNDS = 3;
const brokers = (process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const run = `${Date.now().toString(36)}`;
const topics: string[] = [];

function makeCalls(shape: 'device' | 'gateway'): TelemetryPoint[][] {
  const calls: TelemetryPoint[][] = [];
  for (let c = 0; c < POINTS / BATCH; c++) {
    calls.push(
      Array.from({ length: BATCH }, (_, i) => ({
        orgId: `org-${c % 10}`,
        deviceId: shape === 'device' ? `dev-${c % 1000}` : `dev-${(c * BATCH + i) % 1000}`,
        ts: 1_767_225_600_000 + c * BATCH + i,
        metrics: {
          temperature: 20 + (i % 100) / 10,
          humidity: 40 + (i % 37),
          door_open: i % 7 === 0,
          mode: i % 3 ? 'eco' : 'comfort',
        },
      })),
    );
  }
  return calls;
}

/** Runs `work` over items with at most `limit` in flight, like concurrent ingest requests. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

interface Result {
  publishS: number;
  endToEndS: number;
}

async function ours(calls: TelemetryPoint[][], name: string): Promise<Result> {
  const topic = `bench.${name}.${run}`;
  topics.push(topic, `${topic}.dlq`);
  const bus = createKafkaEventBus({
    brokers,
    clientId: 'bench',
    topic,
    deadLetterTopic: `${topic}.dlq`,
    groupId: `bench-${name}-${run}`,
    partitions: 6,
  });
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const consumer = await bus.consume(async (points) => {
    received += points.length;
    if (received >= POINTS) done();
  });
  await bus.publish(calls[0]!.slice(0, 1)); // connect + warm up
  received = 0;
  const started = performance.now();
  await pool(calls, CONCURRENCY, (points) => bus.publish(points));
  const published = performance.now();
  await all;
  const ended = performance.now();
  await consumer.stop();
  await bus.close();
  return { publishS: (published - started) / 1000, endToEndS: (ended - started) / 1000 };
}

async function raw(calls: TelemetryPoint[][], name: string, admin: Admin): Promise<Result> {
  const topic = `bench.${name}.${run}`;
  topics.push(topic);
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  // Same keys and value sizes as our codec produces, as opaque bytes.
  const sends = calls.map((points) =>
    encodePoints(points).map(({ key, value }) => ({ key, value: Buffer.alloc(value.length, 120) })),
  );
  const total = sends.reduce((n, messages) => n + messages.length, 0);
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `bench-${name}-${run}`, maxWaitTimeInMs: 1_000 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = -1; // the warm-up message
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      received += batch.messages.length;
      if (received >= total) done();
    },
  });
  await producer.send({ topic, acks: -1, messages: [{ key: 'warm', value: 'x' }] });
  const started = performance.now();
  await pool(sends, CONCURRENCY, async (messages) => {
    await producer.send({ topic, acks: -1, messages });
  });
  const published = performance.now();
  await all;
  const ended = performance.now();
  await consumer.disconnect();
  await producer.disconnect();
  return { publishS: (published - started) / 1000, endToEndS: (ended - started) / 1000 };
}

const admin = new Kafka({ clientId: 'bench-admin', brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
const rate = (seconds: number) => `${Math.round(POINTS / seconds).toLocaleString('en')} points/s`;
const figures: Figure[] = [];
try {
  console.log(
    `${POINTS} points in publish calls of ${BATCH}, ${CONCURRENCY} calls in flight, ` +
      `median of ${ROUNDS} alternating rounds (the broker is shared: expect noise)`,
  );
  for (const shape of ['device', 'gateway'] as const) {
    const calls = makeCalls(shape);
    const messages = calls.reduce((n, points) => n + encodePoints(points).length, 0);
    const rounds: { raw: Result; ours: Result }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push({
        raw: await raw(calls, `raw-${shape}-${round}`, admin),
        ours: await ours(calls, `ours-${shape}-${round}`),
      });
    }
    const summary = (pick: (r: { raw: Result; ours: Result }) => Result) => ({
      publishS: median(rounds.map((r) => pick(r).publishS)),
      endToEndS: median(rounds.map((r) => pick(r).endToEndS)),
    });
    const baseline = summary((r) => r.raw);
    const result = summary((r) => r.ours);
    console.log(`\n${shape}: ${messages} messages`);
    for (const [label, r] of [
      ['raw kafkajs', baseline],
      ['kafka event bus', result],
    ] as const) {
      console.log(
        `  ${label.padEnd(16)} publish ${rate(r.publishS).padStart(18)}   end to end ${rate(r.endToEndS).padStart(18)}`,
      );
    }
    console.log(
      `  ratio (ours / raw, end to end): ${(baseline.endToEndS / result.endToEndS).toFixed(2)}`,
    );
    for (const [what, seconds] of [
      ['end to end', (r: Result) => r.endToEndS],
      ['publish', (r: Result) => r.publishS],
    ] as const) {
      figures.push({
        name: `${shape} (${messages} messages): ${what}`,
        unit: 'points/s',
        ours: POINTS / seconds(result),
        baselineName: 'raw kafkajs',
        baseline: POINTS / seconds(baseline),
        better: 'higher',
      });
    }
  }
  await reportFigures(figures);
} finally {
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
}
