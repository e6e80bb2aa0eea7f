/**
 * Nothing accepted is lost, nothing is duplicated: while points stream into a real ingest →
 * Kafka → pipeline → InfluxDB stack, the pipeline is SIGKILLed, the Kafka broker restarted and
 * InfluxDB stopped for 30 s. Afterwards every point that got a 202 is in InfluxDB exactly once.
 *
 * These tests stop shared services, so they run alone (vitest.faults.config.ts), after the rest.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/graphql-client.js';
import { streamPoints } from '../support/load.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';
import { serviceCommand } from '../support/service-control.js';

const services = await findProductionServices();

describe.skipIf(!services)('no loss under faults', () => {
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

  afterEach(async () => {
    // Whatever a test did, leave the services running for the next one.
    await serviceCommand('kafka', 'start');
    await serviceCommand('influxdb', 'start');
  });

  afterAll(async () => {
    await Promise.all([ingest?.stop(), pipeline?.stop()]);
    await stack?.cleanup();
  });

  async function registerFleet(prefix: string, count: number) {
    return Promise.all(
      Array.from({ length: count }, (_, i) => stack.registerDevice(`${prefix}-${i}`)),
    );
  }

  async function expectExactlyOnce(
    devices: { id: string }[],
    pointsPerDevice: number,
    timeoutMs: number,
  ) {
    await eventually(
      async () => {
        const counts = await Promise.all(
          devices.map((device) => stack.countStoredPoints(device.id)),
        );
        return counts.every((count) => count === pointsPerDevice) ? true : undefined;
      },
      timeoutMs,
      'every accepted point stored',
    );
    for (const device of devices) {
      const values = await stack.storedValues(device.id);
      expect(values).toHaveLength(pointsPerDevice);
      expect(new Set(values).size).toBe(pointsPerDevice);
    }
  }

  it('loses nothing when the pipeline is SIGKILLed mid-stream (100,000 points)', async () => {
    const devices = await registerFleet('kill', 10);
    let killed = false;
    let restarted: Promise<void> | undefined;
    const result = await streamPoints({
      ingestUrl: ingest.baseUrl,
      devices,
      pointsPerDevice: 10_000,
      batchSize: 250,
      concurrency: 8,
      baseTs: Date.UTC(2026, 6, 1),
      onAccepted: (accepted) => {
        if (!killed && accepted >= 30_000) {
          killed = true;
          restarted = pipeline.kill().then(async () => {
            pipeline = await startRole('pipeline', stack.env);
          });
        }
      },
    });
    await restarted;
    expect(killed).toBe(true);
    expect(result.accepted).toBe(100_000);
    await expectExactlyOnce(devices, 10_000, 90_000);
  }, 240_000);

  it('answers 503 with Retry-After while Kafka is away and loses nothing it acknowledged', async () => {
    const devices = await registerFleet('broker', 4);
    let stopped = false;
    let outage: Promise<void> | undefined;
    const result = await streamPoints({
      ingestUrl: ingest.baseUrl,
      devices,
      pointsPerDevice: 5_000,
      batchSize: 100,
      concurrency: 4,
      baseTs: Date.UTC(2026, 6, 2),
      onAccepted: (accepted) => {
        if (!stopped && accepted >= 4_000) {
          stopped = true;
          outage = (async () => {
            await serviceCommand('kafka', 'stop');
            await new Promise((resolve) => setTimeout(resolve, 3_000));
            await serviceCommand('kafka', 'start');
          })();
        }
      },
    });
    await outage;
    expect(result.unavailable).toBeGreaterThan(0);
    expect(result.retryAfterSeen).toBe(true);
    expect(result.accepted).toBe(20_000);
    await expectExactlyOnce(devices, 5_000, 120_000);
  }, 300_000);

  it('keeps accepting while InfluxDB is stopped for 30 s, then drains the lag', async () => {
    const devices = await registerFleet('influx', 4);
    await serviceCommand('influxdb', 'stop');
    const stoppedAt = Date.now();
    const result = await streamPoints({
      ingestUrl: ingest.baseUrl,
      devices,
      pointsPerDevice: 5_000,
      batchSize: 250,
      concurrency: 4,
      baseTs: Date.UTC(2026, 6, 3),
    });
    // Ingest never depended on InfluxDB: every request was accepted while it was away.
    expect(result.unavailable).toBe(0);
    expect(result.accepted).toBe(20_000);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - stoppedAt))),
    );
    await serviceCommand('influxdb', 'start');
    await expectExactlyOnce(devices, 5_000, 90_000);
  }, 240_000);
});
