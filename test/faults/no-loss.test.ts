/**
 * Nothing accepted is lost, nothing is duplicated: while points stream into a real ingest →
 * Kafka → pipeline → InfluxDB stack, the pipeline is SIGKILLed, the Kafka broker restarted and
 * InfluxDB stopped for 30 s. Afterwards every point that got a 202 is in InfluxDB exactly once:
 * each one present with exactly the value sent for its time, and nothing else stored.
 *
 * These tests stop shared services, so they run alone (vitest.faults.config.ts), after the rest.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/graphql-client.js';
import { streamPoints, type StreamResult } from '../support/load.js';
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

  /**
   * Every acknowledged point is stored, with exactly what was sent for its time (the load sends
   * `seq` at `baseTs + seq`, `value` = `seq % 97`), and nothing else is: a lost, misplaced,
   * corrupted or stray point fails. InfluxDB keeps one point per series and time, so duplicates
   * cannot be counted; a redelivery that wrote another batch's values over a point would show
   * here as a wrong `seq` for its time.
   */
  async function expectExactlyOnce(
    result: StreamResult,
    baseTs: number,
    pointsPerDevice: number,
    timeoutMs: number,
  ) {
    const devices = [...result.acknowledged.keys()];
    // The load retries until each batch gets a 202, so everything it sent was acknowledged.
    for (const seqs of result.acknowledged.values()) expect(seqs).toHaveLength(pointsPerDevice);
    await eventually(
      async () => {
        const counts = await Promise.all(devices.map((id) => stack.countStoredPoints(id)));
        return counts.every((count) => count >= pointsPerDevice) ? true : undefined;
      },
      timeoutMs,
      'every accepted point stored',
    );
    for (const id of devices) {
      const stored = await stack.storedPoints(id);
      const wrong = stored.filter(
        (point) => point.ts - baseTs !== point.seq || point.value !== point.seq % 97,
      );
      expect(wrong, `points of ${id} not holding what was sent for their time`).toEqual([]);
      const acknowledged = [...result.acknowledged.get(id)!].sort((a, b) => a - b);
      expect(
        stored.map((point) => point.seq).sort((a, b) => a - b),
        `points of ${id}: exactly the acknowledged ones`,
      ).toEqual(acknowledged);
    }
  }

  it('loses nothing when the pipeline is SIGKILLed mid-stream (100,000 points)', async () => {
    const devices = await registerFleet('kill', 10);
    let killed = false;
    let restarted: Promise<void> | undefined;
    const baseTs = Date.UTC(2026, 6, 1);
    const result = await streamPoints({
      ingestUrl: ingest.baseUrl,
      devices,
      pointsPerDevice: 10_000,
      batchSize: 250,
      concurrency: 8,
      baseTs,
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
    await expectExactlyOnce(result, baseTs, 10_000, 90_000);
  }, 240_000);

  it('answers 503 with Retry-After while Kafka is away and loses nothing it acknowledged', async () => {
    const devices = await registerFleet('broker', 4);
    let stopped = false;
    let outage: Promise<void> | undefined;
    const baseTs = Date.UTC(2026, 6, 2);
    const result = await streamPoints({
      ingestUrl: ingest.baseUrl,
      devices,
      pointsPerDevice: 5_000,
      batchSize: 100,
      concurrency: 4,
      baseTs,
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
    // 503s, not 429s: the stack's rate limits are far above this load, and 429s are counted
    // apart (result.rateLimited), so rate limiting can never pass for the outage.
    expect(result.unavailable).toBeGreaterThan(0);
    expect(result.retryAfterSeen).toBe(true);
    expect(result.accepted).toBe(20_000);
    await expectExactlyOnce(result, baseTs, 5_000, 120_000);
  }, 300_000);

  it('keeps accepting while InfluxDB is stopped for 30 s, then drains the lag', async () => {
    const devices = await registerFleet('influx', 4);
    await serviceCommand('influxdb', 'stop');
    const stoppedAt = Date.now();
    const baseTs = Date.UTC(2026, 6, 3);
    const result = await streamPoints({
      ingestUrl: ingest.baseUrl,
      devices,
      pointsPerDevice: 5_000,
      batchSize: 250,
      concurrency: 4,
      baseTs,
    });
    // Ingest never depended on InfluxDB: every request was accepted while it was away.
    expect(result.unavailable).toBe(0);
    expect(result.rateLimited).toBe(0);
    expect(result.accepted).toBe(20_000);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - stoppedAt))),
    );
    await serviceCommand('influxdb', 'start');
    await expectExactlyOnce(result, baseTs, 5_000, 90_000);
  }, 240_000);
});
