import { describe } from 'vitest';
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
