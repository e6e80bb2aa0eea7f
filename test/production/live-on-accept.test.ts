/**
 * In production a point goes live as Kafka acknowledges it, from the ingest process, not once the
 * pipeline stored it (src/app/live-on-accept.ts): with the pipeline stopped, a dashboard still
 * sees it. A subscription resuming `since` a time waits for the pipeline to have stored what
 * Kafka holds (EventBus.consumedThrough, asked of Kafka by the api), so it answers STORE_TIMEOUT
 * while the pipeline is away, and once it is back replays the point from InfluxDB exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LiveTelemetryDocument,
  LiveTelemetryResumedDocument,
  RegisterDeviceDocument,
  type LiveTelemetryResumedSubscription,
  type LiveTelemetrySubscription,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { subscribeLive, untilLive } from '../support/live-subscription.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();
const STORE_TIMEOUT_MS = 3_000;

describe.skipIf(!services)('points live on acceptance, in production', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let env: Record<string, string>;
  let ingest: RunningRole;
  let pipeline: RunningRole;
  let api: RunningRole;
  const others: RunningRole[] = [];

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    env = {
      ...stack.env,
      STORE_QUERY_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
      // The canaries come every 50 ms until the dashboard sees one.
      RATE_LIMIT_DEVICE_PER_SECOND: '1000',
      RATE_LIMIT_DEVICE_BURST: '1000',
    };
    [ingest, pipeline, api] = await Promise.all([
      startRole('ingest', env),
      startRole('pipeline', env),
      startRole('api', env),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([ingest, pipeline, api, ...others].map((role) => role?.stop()));
    await stack?.cleanup();
  });

  it('shows a point while the pipeline is stopped, and resumes from the store once it is back', async () => {
    const { registerDevice } = await expectData(
      createGraphQLClient(api.baseUrl, stack.adminToken)(RegisterDeviceDocument, {
        input: { externalId: 'on-accept', name: 'On accept', type: 'meter' },
      }),
    );
    const deviceId = registerDevice.device.id;
    const send = async (ts: number) => {
      const body = JSON.stringify({ ts, metrics: { power: ts % 1000 } });
      const response = await postTelemetry(ingest.baseUrl, registerDevice.token, body);
      expect(response.status).toBe(202);
    };
    const dashboard = subscribeLive(
      api.baseUrl,
      stack.adminToken,
      { document: LiveTelemetryDocument, variables: { deviceIds: [deviceId] } },
      (data) => Date.parse((data as LiveTelemetrySubscription).telemetry.ts),
    );
    const resume = (since: number) =>
      subscribeLive(
        api.baseUrl,
        stack.adminToken,
        {
          document: LiveTelemetryResumedDocument,
          variables: { deviceIds: [deviceId], since: new Date(since).toISOString() },
        },
        (data) => Date.parse((data as LiveTelemetryResumedSubscription).telemetry.ts),
      );
    try {
      let canary = Date.now() - 60_000;
      await untilLive(
        dashboard,
        () => send(++canary),
        () => true,
      );

      await pipeline.stop();
      const missed = Date.now();
      await send(missed);
      await eventually(
        async () => (dashboard.received.includes(missed) ? true : undefined),
        10_000,
        'the point live with no pipeline running',
      );

      const early = resume(missed - 1);
      try {
        await eventually(
          async () => (early.errors.length > 0 ? true : undefined),
          STORE_TIMEOUT_MS + 10_000,
          'the resumed subscription to give up',
        );
        expect(early.errors).toEqual([
          expect.objectContaining({
            message: expect.stringContaining(
              'the pipeline did not store the points accepted so far',
            ),
            extensions: expect.objectContaining({ code: 'STORE_TIMEOUT' }),
          }),
        ]);
        expect(early.received).toEqual([]);
      } finally {
        await early.close();
      }

      pipeline = await startRole('pipeline', env);
      const resumed = resume(missed - 1);
      try {
        await eventually(
          async () => (resumed.received.includes(missed) ? true : undefined),
          30_000,
          'the missed point from the store',
        );
        const next = missed + 1;
        await send(next);
        await eventually(
          async () => (resumed.received.includes(next) ? true : undefined),
          10_000,
          'the next point live',
        );
        expect(resumed.received).toEqual([missed, next]);
        expect(resumed.errors).toEqual([]);
      } finally {
        await resumed.close();
      }
    } finally {
      await dashboard.close();
    }
  }, 120_000);
});
