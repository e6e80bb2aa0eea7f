/**
 * Embedded-mode ingest: points/s accepted (202, in the write-ahead log) and stored (queryable),
 * beside a baseline measured in the same run: the same points written straight into a DuckDB
 * telemetry store in the same batches. (Query speed: bench/graphql-page.ts.)
 *
 *   npx tsx bench/embedded.ts [points=100000]
 */
import path from 'node:path';
import { createDuckDbTelemetryStore } from '../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { DevicesDocument, RegisterDeviceDocument } from '../test/generated/graphql.js';
import { makeDataDir, startEmbeddedApp } from '../test/support/embedded-app.js';
import { createGraphQLClient, expectData } from '../test/support/graphql-client.js';
import { streamPoints } from '../test/support/load.js';
import { reportFigures } from './support/report.js';

const total = Number(process.argv[2] ?? 100_000);
const dataDir = await makeDataDir();
const app = await startEmbeddedApp(dataDir.dir, {
  RATE_LIMIT_DEVICE_PER_SECOND: '100000',
  RATE_LIMIT_DEVICE_BURST: '100000',
});
const gql = createGraphQLClient(app.baseUrl, app.adminToken);

try {
  const devices = [];
  for (let i = 0; i < 50; i++) {
    const data = await expectData(
      gql(RegisterDeviceDocument, {
        input: { externalId: `bench-${i}`, name: `Bench ${i}`, type: 'bench' },
      }),
    );
    devices.push({ id: data.registerDevice.device.id, token: data.registerDevice.token });
  }
  const started = performance.now();
  const result = await streamPoints({
    ingestUrl: app.baseUrl,
    devices,
    pointsPerDevice: Math.floor(total / devices.length),
    batchSize: 500,
    concurrency: 8,
    baseTs: Date.UTC(2026, 0, 1),
  });
  const acceptedSeconds = (performance.now() - started) / 1000;
  // Stored: every device's latest `seq` is its last point's.
  const last = Math.floor(total / devices.length) - 1;
  for (;;) {
    const page = await expectData(gql(DevicesDocument, { first: 50 }));
    const done = page.devices.edges.every((edge) =>
      edge.node.latest.some((reading) => reading.metric === 'seq' && reading.value === last),
    );
    if (done) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const storedSeconds = (performance.now() - started) / 1000;
  const rate = (seconds: number) => Math.round(result.accepted / seconds).toLocaleString('en');
  console.log(`ingest: ${result.accepted} points from 50 devices, 500 per request`);
  console.log(`  accepted (202):               ${rate(acceptedSeconds)} points/s`);
  console.log(`  stored and queryable:         ${rate(storedSeconds)} points/s`);

  // Baseline: the same points straight into a DuckDB store, no HTTP, bus or pipeline.
  const store = await createDuckDbTelemetryStore({
    path: path.join(dataDir.dir, 'baseline.duckdb'),
  });
  const perDevice = Math.floor(total / devices.length);
  const baselineStarted = performance.now();
  for (let from = 0; from < perDevice; from += 500) {
    for (const device of devices) {
      const points = [];
      for (let seq = from; seq < Math.min(from + 500, perDevice); seq++) {
        points.push({
          orgId: 'baseline',
          deviceId: device.id,
          ts: Date.UTC(2026, 0, 1) + seq,
          metrics: { seq, value: seq % 97 },
        });
      }
      await store.write(points);
    }
  }
  const baselineSeconds = (performance.now() - baselineStarted) / 1000;
  await store.close();
  console.log(`  baseline, DuckDB store.write: ${rate(baselineSeconds)} points/s`);
  console.log(`  ratio stored / baseline:      ${(baselineSeconds / storedSeconds).toFixed(2)}`);
  const baseline = {
    baselineName: 'DuckDB store.write, same batches',
    baseline: result.accepted / baselineSeconds,
  };
  await reportFigures([
    {
      name: 'accepted (202)',
      unit: 'points/s',
      ours: result.accepted / acceptedSeconds,
      ...baseline,
      better: 'higher',
    },
    {
      name: 'stored and queryable',
      unit: 'points/s',
      ours: result.accepted / storedSeconds,
      ...baseline,
      better: 'higher',
    },
  ]);
} finally {
  await app.stop();
  await dataDir.remove();
}
