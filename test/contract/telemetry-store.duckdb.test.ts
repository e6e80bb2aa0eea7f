import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { describeTelemetryStoreContract } from './telemetry-store.contract.js';

describe('DuckDB telemetry store', () => {
  describeTelemetryStoreContract('duckdb file', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'telemetry-duckdb-'));
    const file = path.join(directory, 'telemetry.duckdb');
    return {
      store: await createDuckDbTelemetryStore({ path: file }),
      reopen: () => createDuckDbTelemetryStore({ path: file }),
      cleanup: () => rm(directory, { recursive: true, force: true }),
    };
  });

  describeTelemetryStoreContract(
    'duckdb :memory:',
    async () => ({ store: await createDuckDbTelemetryStore({ path: ':memory:' }) }),
    { persistent: false },
  );

  it('compaction deletes superseded rows and changes no answer', async () => {
    const store = await createDuckDbTelemetryStore({ path: ':memory:', compactAfterRows: 1e12 });
    try {
      const point = (ts: number, temp: number) => ({
        orgId: 'org',
        deviceId: 'dev',
        ts,
        metrics: { temp, mode: `m${temp}` },
      });
      await store.write([point(1, 1), point(2, 2)]);
      await store.write([point(1, 10), point(2, 20)]);
      await store.write([point(1, 100)]);
      const query = { orgId: 'org', deviceId: 'dev', metrics: [], from: 0, to: 10, limit: 10 };
      const before = await store.raw(query);

      // Two stale versions of ts 1 and one of ts 2, two metrics each.
      expect(await store.compact()).toBe(6);
      expect(await store.raw(query)).toEqual(before);
      expect(before).toEqual([
        { orgId: 'org', deviceId: 'dev', ts: 1, metrics: { temp: 100, mode: 'm100' } },
        { orgId: 'org', deviceId: 'dev', ts: 2, metrics: { temp: 20, mode: 'm20' } },
      ]);
      expect(await store.compact()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('compacts on its own once enough rows were appended', async () => {
    const store = await createDuckDbTelemetryStore({ path: ':memory:', compactAfterRows: 4 });
    try {
      const point = (temp: number) => ({ orgId: 'org', deviceId: 'dev', ts: 5, metrics: { temp } });
      await store.write([point(1), point(2), point(3)]);
      await store.write([point(4)]); // the fourth row triggers a compaction
      expect(await store.compact()).toBe(0);
      const [latest] = (await store.latest('org', ['dev'])).get('dev') ?? [];
      expect(latest).toEqual({ metric: 'temp', value: 4, ts: 5 });
    } finally {
      await store.close();
    }
  });
});
