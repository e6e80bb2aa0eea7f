/**
 * Production-path ingest throughput: points/s from devices through `ingest` → Kafka → `pipeline`
 * → InfluxDB (until every point is queryable), against a baseline measured in the same run:
 * the same points written straight to InfluxDB's /write in equally sized batches.
 *
 *   npm run services:up && npx tsx bench/production-ingest.ts [points=200000] [devices=20]
 */
import { streamPoints } from '../test/support/load.js';
import { startRole } from '../test/support/processes.js';
import { createProductionStack, findProductionServices } from '../test/support/production-stack.js';
import { reportFigures } from './support/report.js';

const total = Number(process.argv[2] ?? 200_000);
const deviceCount = Number(process.argv[3] ?? 20);
const batchSize = 500;
const perDevice = Math.floor(total / deviceCount);

const services = await findProductionServices();
if (!services) throw new Error('services are not running: npm run services:up');
const stack = await createProductionStack(services);
const [ingest, pipeline] = await Promise.all([
  startRole('ingest', stack.env),
  startRole('pipeline', stack.env),
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

try {
  // Baseline: the same number of points, straight into InfluxDB (another measurement).
  const baselineStart = performance.now();
  for (let from = 0; from < perDevice * deviceCount; from += batchSize) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(from + batchSize, perDevice * deviceCount); i++) {
      lines.push(
        `baseline,org_id=o,device_id=d${i % deviceCount} seq=${i},value=${i % 97} ${Date.UTC(2026, 0, 1) + i}`,
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
  const result = await streamPoints({
    ingestUrl: ingest.baseUrl,
    devices,
    pointsPerDevice: perDevice,
    batchSize,
    concurrency: 8,
    baseTs: Date.UTC(2026, 0, 1),
  });
  const acceptedSeconds = (performance.now() - start) / 1000;
  while ((await storedTotal()) < result.accepted)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const storedSeconds = (performance.now() - start) / 1000;

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
  const direct = {
    unit: 'points/s',
    baselineName: 'direct InfluxDB /write',
    baseline: result.accepted / baselineSeconds,
    better: 'higher' as const,
  };
  await reportFigures([
    {
      name: 'end to end (queryable in InfluxDB)',
      ours: result.accepted / storedSeconds,
      ...direct,
    },
    {
      name: 'ingest accepted (202, Kafka acked)',
      ours: result.accepted / acceptedSeconds,
      ...direct,
    },
  ]);
} finally {
  await Promise.all([ingest.stop(), pipeline.stop()]);
  await stack.cleanup();
}
