/**
 * `Device.latest` in production: the Redis latest-values cache beside its baseline, the same
 * question asked of InfluxDB directly, in the same run (100 devices × 4 metrics, 200 reads).
 *
 *   npm run services:up && npx tsx bench/latest-cache.ts
 */
import { Redis } from 'ioredis';
import { createInfluxTelemetryStore } from '../src/adapters/telemetry-store/influx-telemetry-store.js';
import { withRedisLatestCache } from '../src/adapters/telemetry-store/redis-latest-cache.js';
import { findService, uniqueSuffix } from '../test/support/services.js';
import { reportFigures } from './support/report.js';

const influxUrl = await findService('influx');
const redisUrl = await findService('redis');
if (!influxUrl || !redisUrl) throw new Error('services are not running: npm run services:up');

const suffix = uniqueSuffix();
const database = `latest_bench_${suffix}`;
const influxQuery = (q: string) =>
  fetch(`${influxUrl}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
await influxQuery(`CREATE DATABASE "${database}"`);
const influx = createInfluxTelemetryStore({ url: influxUrl, database });
const keyPrefix = `bench:${suffix}:`;
const cached = withRedisLatestCache(influx, { redis: redisUrl, keyPrefix });

const org = 'org-bench';
const devices = Array.from({ length: 100 }, (_, i) => `dev-${i}`);
const points = devices.flatMap((deviceId, d) =>
  Array.from({ length: 20 }, (_, i) => ({
    orgId: org,
    deviceId,
    ts: Date.UTC(2026, 0, 1) + i * 1000,
    metrics: { temperature: d + i, humidity: i, on: i % 2 === 0, mode: `m${i}` },
  })),
);

async function time(label: string, run: () => Promise<unknown>, samples = 200) {
  for (let i = 0; i < 20; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.floor(p * (samples - 1))]!;
  console.log(`${label.padEnd(42)} p50 ${at(0.5).toFixed(2)} ms  p99 ${at(0.99).toFixed(2)} ms`);
  return { p50: at(0.5), p99: at(0.99) };
}

try {
  await cached.write(points);
  await cached.latest(org, devices); // the first read fills the cache
  const direct = await time('baseline: InfluxDB latest(), 100 devices', () =>
    influx.latest(org, devices),
  );
  const viaCache = await time('Redis cache latest(), 100 devices', () =>
    cached.latest(org, devices),
  );
  console.log(`speed-up at p50: ${(direct.p50 / viaCache.p50).toFixed(1)}x`);
  const baseline = { unit: 'ms', baselineName: 'InfluxDB latest()', better: 'lower' as const };
  await reportFigures([
    {
      name: 'Redis-cached latest(), 100 devices, p50',
      ours: viaCache.p50,
      baseline: direct.p50,
      ...baseline,
    },
    {
      name: 'Redis-cached latest(), 100 devices, p99',
      ours: viaCache.p99,
      baseline: direct.p99,
      ...baseline,
    },
  ]);
} finally {
  await cached.close();
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await influxQuery(`DROP DATABASE "${database}"`);
}
