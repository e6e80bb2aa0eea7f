import { describe, expect, it } from 'vitest';
import { createInfluxTelemetryStore } from '../../src/adapters/telemetry-store/influx-telemetry-store.js';
import { findService, uniqueSuffix } from '../support/services.js';
import { describeTelemetryStoreContract } from './telemetry-store.contract.js';

const influxUrl = await findService('influx');

async function influxQuery(q: string) {
  const response = await fetch(`${influxUrl}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q }),
  });
  if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
}

describe.skipIf(!influxUrl)('InfluxDB telemetry store', () => {
  describeTelemetryStoreContract('influx', async () => {
    const database = `iot_test_${uniqueSuffix()}`;
    await influxQuery(`CREATE DATABASE "${database}"`);
    const open = async () => createInfluxTelemetryStore({ url: influxUrl!, database });
    return {
      store: await open(),
      reopen: open,
      cleanup: () => influxQuery(`DROP DATABASE "${database}"`),
    };
  });
});

describe.skipIf(!influxUrl)('InfluxDB telemetry store, InfluxDB-specific', () => {
  it('stores the valid points of a batch that InfluxDB partly refuses (field type conflict) and does not throw', async () => {
    const database = `iot_test_${uniqueSuffix()}`;
    await influxQuery(`CREATE DATABASE "${database}"`);
    try {
      const store = createInfluxTelemetryStore({ url: influxUrl!, database });
      const base = Date.UTC(2026, 0, 1);
      await store.write([{ orgId: 'o', deviceId: 'd', ts: base, metrics: { level: 1 } }]);
      await store.write([
        { orgId: 'o', deviceId: 'd', ts: base + 1, metrics: { level: 'high' } },
        { orgId: 'o', deviceId: 'd', ts: base + 2, metrics: { level: 3 } },
      ]);
      const points = await store.raw({
        orgId: 'o',
        deviceId: 'd',
        metrics: [],
        from: base,
        to: base + 10,
        limit: 10,
      });
      expect(points.map((point) => point.metrics.level)).toEqual([1, 3]);
    } finally {
      await influxQuery(`DROP DATABASE "${database}"`);
    }
  });
});
