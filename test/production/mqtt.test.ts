/**
 * MQTT on the production ingest process: a device's QoS 1 publishes are acknowledged once Kafka
 * has them and reach InfluxDB through the pipeline; mosquitto_pub works the same; `/ready`
 * counts the MQTT listener.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/graphql-client.js';
import { connectDevice } from '../support/mqtt-device.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const run = promisify(execFile);
const services = await findProductionServices();

describe.skipIf(!services)('production MQTT ingest', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let ingest: RunningRole;
  let pipeline: RunningRole;

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    [ingest, pipeline] = await Promise.all([
      startRole('ingest', stack.env),
      startRole('pipeline', stack.env),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([ingest?.stop(), pipeline?.stop()]);
    await stack?.cleanup();
  });

  it('stores what a device publishes at QoS 1, from mqtt.js on 5 and mosquitto_pub on 3.1.1', async () => {
    const device = await stack.registerDevice('mqtt-production');
    const base = Date.UTC(2026, 11, 6);
    const client = await connectDevice(`mqtt://127.0.0.1:${ingest.mqttPort}`, device.token);
    for (let seq = 0; seq < 20; seq++) {
      await client.publish(JSON.stringify({ ts: base + seq, metrics: { seq, value: seq % 97 } }));
    }
    await client.close();
    await run('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(ingest.mqttPort), '-V', 'mqttv311', '-q', '1'],
      ...['-u', 'device', '-P', device.token, '-t', 'v1/devices/me/telemetry'],
      ...['-m', JSON.stringify({ ts: base + 20, metrics: { seq: 20, value: 20 } })],
    ]);
    const stored = await eventually(
      async () => {
        const points = await stack.storedPoints(device.id);
        return points.length === 21 ? points : undefined;
      },
      30_000,
      '21 points in InfluxDB',
    );
    expect(stored.map((point) => [point.ts, point.seq])).toEqual(
      Array.from({ length: 21 }, (_, seq) => [base + seq, seq]),
    );
  });

  it('reports the MQTT listener in /ready', async () => {
    const response = await fetch(`${ingest.baseUrl}/ready`);
    const body = (await response.json()) as { ready: boolean; checks: unknown };
    expect(response.status).toBe(200);
    expect(JSON.stringify(body)).toContain('mqtt');
  });
});
