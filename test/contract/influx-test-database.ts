/** A database of its own on the machine's InfluxDB for one test file, dropped afterwards. */
import { uniqueSuffix } from '../support/services.js';

/**
 * `shardDuration` ('1h'): shards that short, so one test can hold a metric of several types
 * (InfluxDB fixes a field's type per shard, a week by default) within hours.
 */
export async function createInfluxTestDatabase(
  url: string,
  options: { shardDuration?: string } = {},
) {
  const run = async (q: string) => {
    const response = await fetch(`${url}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q }),
    });
    if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
  };
  const name = `iot_test_${uniqueSuffix()}`;
  const shards = options.shardDuration ? ` WITH SHARD DURATION ${options.shardDuration}` : '';
  await run(`CREATE DATABASE "${name}"${shards}`);
  return { name, drop: () => run(`DROP DATABASE "${name}"`) };
}
