/** A database of its own on the machine's InfluxDB for one test file, dropped afterwards. */
import { uniqueSuffix } from '../support/services.js';

export async function createInfluxTestDatabase(url: string) {
  const run = async (q: string) => {
    const response = await fetch(`${url}/query`, {
      method: 'POST',
      body: new URLSearchParams({ q }),
    });
    if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
  };
  const name = `iot_test_${uniqueSuffix()}`;
  await run(`CREATE DATABASE "${name}"`);
  return { name, drop: () => run(`DROP DATABASE "${name}"`) };
}
