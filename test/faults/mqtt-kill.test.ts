/**
 * Nothing PUBACKed over MQTT is lost: devices publish at QoS 1 to a real production ingest
 * process while it is SIGKILLed and restarted; each device resends, after reconnecting, what was
 * not acknowledged. Afterwards every point is in InfluxDB exactly once with what was sent for its
 * time (InfluxDB keeps one point per series and time: a resend cannot show as a second one).
 *
 * Runs alone, after the other tiers (vitest.faults.config.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/graphql-client.js';
import { connectDevice } from '../support/mqtt-device.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();
const DEVICES = 10;
const POINTS = 1_000;

describe.skipIf(!services)('MQTT: no loss when ingest is SIGKILLed', () => {
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

  /**
   * One device sending its points in order, each until it is acknowledged: a publish cut off by
   * a closed connection is sent again on a new one (to wherever ingest listens by then).
   */
  async function sendAll(token: string, baseTs: number, onAcknowledged: () => void) {
    let device: Awaited<ReturnType<typeof connectDevice>> | undefined;
    for (let seq = 0; seq < POINTS;) {
      try {
        device ??= await connectDevice(`mqtt://127.0.0.1:${ingest.mqttPort}`, token);
        const payload = JSON.stringify({ ts: baseTs + seq, metrics: { seq, value: seq % 97 } });
        const outcome = await Promise.race([
          device.publish(payload).then(() => 'acknowledged' as const),
          device.ended.then(() => 'closed' as const),
        ]);
        if (outcome === 'closed') throw new Error('connection closed');
        seq += 1;
        onAcknowledged();
      } catch {
        device?.client.end(true);
        device = undefined;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    await device?.close();
  }

  it('stores every acknowledged point exactly once after a kill and restart', async () => {
    const devices = await Promise.all(
      Array.from({ length: DEVICES }, (_, i) => stack.registerDevice(`mqtt-kill-${i}`)),
    );
    const baseTs = Date.UTC(2026, 8, 1);
    let acknowledged = 0;
    let restarted: Promise<void> | undefined;
    await Promise.all(
      devices.map((device) =>
        sendAll(device.token, baseTs, () => {
          acknowledged += 1;
          if (acknowledged === Math.floor((DEVICES * POINTS) / 3)) {
            restarted = ingest.kill().then(async () => {
              ingest = await startRole('ingest', stack.env);
            });
          }
        }),
      ),
    );
    await restarted;
    expect(restarted).toBeDefined();
    for (const device of devices) {
      const stored = await eventually(
        async () => {
          const points = await stack.storedPoints(device.id);
          return points.length >= POINTS ? points : undefined;
        },
        60_000,
        `the ${POINTS} points of ${device.id}`,
      );
      expect(stored.map((point) => [point.ts - baseTs, point.seq, point.value])).toEqual(
        Array.from({ length: POINTS }, (_, seq) => [seq, seq, seq % 97]),
      );
    }
  }, 240_000);
});
