/**
 * Embedded-mode figures: ingest throughput (points/s accepted) and GraphQL latency for a page of
 * 50 devices with their latest values, beside a baseline measured in the same run on the same
 * server: a trivial `{ __typename }` query, i.e. the cost of HTTP + auth + yoga alone.
 *
 *   npx tsx bench/embedded.ts [points=100000]
 */
import { print } from 'graphql';
import { DevicesDocument, RegisterDeviceDocument } from '../test/generated/graphql.js';
import { makeDataDir, startEmbeddedApp } from '../test/support/embedded-app.js';
import { createGraphQLClient, expectData } from '../test/support/graphql-client.js';
import { streamPoints } from '../test/support/load.js';

const total = Number(process.argv[2] ?? 100_000);
const dataDir = await makeDataDir();
const app = await startEmbeddedApp(dataDir.dir, {
  RATE_LIMIT_DEVICE_PER_SECOND: '100000',
  RATE_LIMIT_DEVICE_BURST: '100000',
  RATE_LIMIT_USER_PER_SECOND: '100000',
  RATE_LIMIT_USER_BURST: '100000',
});
const gql = createGraphQLClient(app.baseUrl, app.adminToken);

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function latency(label: string, body: string, requests = 500, concurrency = 8) {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) {
        const t0 = performance.now();
        const response = await fetch(`${app.baseUrl}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${app.adminToken}`,
          },
          body,
        });
        const json = (await response.json()) as { errors?: unknown };
        if (json.errors) throw new Error(JSON.stringify(json.errors));
        times.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const rate = times.length / seconds;
  console.log(
    `${label.padEnd(34)} ${rate.toFixed(0).padStart(6)} req/s  p50 ${percentile(times, 50).toFixed(1)} ms  p99 ${percentile(times, 99).toFixed(1)} ms`,
  );
  return rate;
}

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
  console.log(`  accepted (202):        ${rate(acceptedSeconds)} points/s`);
  console.log(`  stored and queryable:  ${rate(storedSeconds)} points/s`);

  const baseline = await latency(
    'baseline { __typename }',
    JSON.stringify({ query: '{ __typename }' }),
  );
  const page = await latency(
    'devices(first: 50) { latest }',
    JSON.stringify({ query: print(DevicesDocument), variables: { first: 50 } }),
  );
  console.log(`ratio page / baseline throughput: ${(page / baseline).toFixed(2)}`);
} finally {
  await app.stop();
  await dataDir.remove();
}
