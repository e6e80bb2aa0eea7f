/**
 * Nothing accepted is lost in embedded mode either: the real `npm start` process is SIGKILLed
 * while points stream in, restarted on the same DATA_DIR, and afterwards every point that got a
 * 202 is stored exactly once (the write-ahead log replays what the pipeline had not yet written).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterDeviceDocument, TelemetryDocument } from '../generated/graphql.js';
import { makeDataDir } from '../support/embedded-app.js';
import { createGraphQLClient, eventually, expectData } from '../support/graphql-client.js';
import { streamPoints } from '../support/load.js';
import { startEmbeddedProcess } from '../support/processes.js';

/** The embedded app with limits raised: this test is about delivery, not rate limiting. */
const startEmbedded = (dataDir: string) =>
  startEmbeddedProcess({
    DATA_DIR: dataDir,
    RATE_LIMIT_DEVICE_PER_SECOND: '100000',
    RATE_LIMIT_DEVICE_BURST: '100000',
  });

const DEVICES = 5;
const POINTS_PER_DEVICE = 10_000;
const BASE_TS = Date.UTC(2026, 7, 1);

describe('embedded mode: no loss when the process is SIGKILLed', () => {
  let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
  let app: Awaited<ReturnType<typeof startEmbedded>>;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    app = await startEmbedded(dataDir.dir);
  });
  afterAll(async () => {
    await app?.stop();
    await dataDir?.remove();
  });

  it('stores every 202-acknowledged point exactly once after a kill and restart', async () => {
    const gql = createGraphQLClient(app.baseUrl, app.adminToken);
    const devices: { id: string; token: string }[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const data = await expectData(
        gql(RegisterDeviceDocument, {
          input: { externalId: `kill-${i}`, name: `Kill ${i}`, type: 'test' },
        }),
      );
      devices.push({ id: data.registerDevice.device.id, token: data.registerDevice.token });
    }

    // The load helper retries what got no answer, so after the restart it re-sends the batches
    // the kill cut off; points it counted as accepted are never sent again.
    const ingest = { url: app.baseUrl };
    let acceptedAtKill: number | undefined;
    let restarted: Promise<void> | undefined;
    const result = await streamPoints({
      get ingestUrl() {
        return ingest.url;
      },
      devices,
      pointsPerDevice: POINTS_PER_DEVICE,
      batchSize: 250,
      concurrency: 8,
      baseTs: BASE_TS,
      onAccepted: (accepted) => {
        if (acceptedAtKill === undefined && accepted >= 20_000) {
          acceptedAtKill = accepted;
          restarted = app.kill().then(async () => {
            app = await startEmbedded(dataDir.dir);
            ingest.url = app.baseUrl;
          });
        }
      },
    });
    await restarted;
    expect(acceptedAtKill).toBeGreaterThanOrEqual(20_000);
    expect(result.accepted).toBe(DEVICES * POINTS_PER_DEVICE);

    const query = createGraphQLClient(app.baseUrl, app.adminToken);
    const stored = async (id: string) => {
      const data = await expectData(
        query(TelemetryDocument, {
          id,
          metrics: ['seq'],
          from: new Date(BASE_TS).toISOString(),
          to: new Date(BASE_TS + 86_400_000).toISOString(),
          every: '1d',
          aggregates: ['COUNT', 'SUM'],
        }),
      );
      const seq = data.device?.telemetry[0]?.metrics.find((m) => m.metric === 'seq');
      return { count: seq?.count ?? 0, sum: seq?.sum ?? 0 };
    };
    const expected = {
      count: POINTS_PER_DEVICE,
      sum: (POINTS_PER_DEVICE * (POINTS_PER_DEVICE - 1)) / 2,
    };
    const all = () => Promise.all(devices.map((device) => stored(device.id)));
    await eventually(
      async () => ((await all()).every((s) => s.count === expected.count) ? true : undefined),
      30_000,
      'every accepted point stored',
    ).catch(() => undefined);
    // Count and sum of `seq` together: each of 0..N-1 present, none twice.
    expect(await all()).toEqual(devices.map(() => expected));
  }, 240_000);
});
