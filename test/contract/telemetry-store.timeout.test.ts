/**
 * STORE_QUERY_TIMEOUT_MS on both stores: a read that runs past it fails with StoreTimeoutError,
 * promptly, and leaves nothing held (DuckDB's interrupted connections go back to the pool, so more
 * timed-out reads than there are connections still each answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { createInfluxTelemetryStore } from '../../src/adapters/telemetry-store/influx-telemetry-store.js';
import { AGGREGATES, type TelemetryPoint } from '../../src/domain/telemetry.js';
import { StoreTimeoutError } from '../../src/ports/store-timeout.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import { findService } from '../support/services.js';
import { createInfluxTestDatabase } from './influx-test-database.js';

const ORG = 'org-timeout';
const DEVICES = Array.from({ length: 20 }, (_, i) => `device-${i}`);
/** Enough points that aggregating all of them takes far longer than a millisecond. */
const points: TelemetryPoint[] = Array.from({ length: 200_000 }, (_, i) => ({
  orgId: ORG,
  deviceId: DEVICES[i % DEVICES.length]!,
  ts: 1_000_000 + i,
  metrics: { a: i % 1_000, b: (i * 7) % 13 },
}));

const heavyRead = (store: TelemetryStore) =>
  store.aggregateDevices({
    orgId: ORG,
    deviceIds: DEVICES,
    metrics: ['a', 'b'],
    from: 0,
    to: 10_000_000,
    every: 1_000,
    origin: 0,
    aggregates: [...AGGREGATES],
  });

describe('DuckDB: a read past its deadline', () => {
  let store: TelemetryStore;
  beforeAll(async () => {
    store = await createDuckDbTelemetryStore({ path: ':memory:', queryTimeoutMs: 1 });
    for (let i = 0; i < points.length; i += 50_000) await store.write(points.slice(i, i + 50_000));
  }, 120_000);
  afterAll(() => store?.close());

  it('is interrupted, again and again, without using up the connections', async () => {
    // Four read connections by default: six interrupted reads in a row must all come back.
    for (let i = 0; i < 6; i++) {
      const started = Date.now();
      await expect(heavyRead(store)).rejects.toBeInstanceOf(StoreTimeoutError);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
  });
});

const influxUrl = await findService('influx');
describe.skipIf(!influxUrl)('InfluxDB: a read past its deadline', () => {
  let database: Awaited<ReturnType<typeof createInfluxTestDatabase>>;
  beforeAll(async () => {
    database = await createInfluxTestDatabase(influxUrl!);
    const writer = createInfluxTelemetryStore({ url: influxUrl!, database: database.name });
    for (let i = 0; i < points.length; i += 50_000) await writer.write(points.slice(i, i + 50_000));
  }, 120_000);
  afterAll(() => database?.drop());

  it('fails with StoreTimeoutError, and the same read answers under a wider deadline', async () => {
    const settings = { url: influxUrl!, database: database.name };
    const hurried = createInfluxTelemetryStore({ ...settings, queryTimeoutMs: 1 });
    await expect(heavyRead(hurried)).rejects.toBeInstanceOf(StoreTimeoutError);
    const patient = createInfluxTelemetryStore(settings);
    expect((await heavyRead(patient)).size).toBe(DEVICES.length);
  });
});
