/**
 * A dashboard resuming across an api restart in production, on the real engines: a device sends
 * through ingest and Kafka all along; the dashboard follows it on one api process, that process
 * is killed, and the dashboard resubscribes on a new one with `since` (and a filter, so the new
 * process follows the device through the organization's Redis pattern channel). Every point comes
 * exactly once, in order: from InfluxDB up to the handover, from Redis after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LiveTelemetryResumedDocument,
  RegisterDeviceDocument,
  type LiveTelemetryResumedSubscription,
  type LiveTelemetryResumedSubscriptionVariables,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { keepSending } from '../support/keep-sending.js';
import { subscribeLive } from '../support/live-subscription.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();

describe.skipIf(!services)('a resumed subscription across an api restart', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let env: Record<string, string>;
  const roles: RunningRole[] = [];

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    env = { ...stack.env, RATE_LIMIT_DEVICE_PER_SECOND: '1000', RATE_LIMIT_DEVICE_BURST: '1000' };
    roles.push(
      ...(await Promise.all([
        startRole('ingest', env),
        startRole('pipeline', env),
        startRole('api', env),
      ])),
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(roles.map((role) => role.stop()));
    await stack?.cleanup();
  });

  const subscribe = (api: RunningRole, variables: LiveTelemetryResumedSubscriptionVariables) =>
    subscribeLive(
      api.baseUrl,
      stack.adminToken,
      { document: LiveTelemetryResumedDocument, variables },
      (data) => Date.parse((data as LiveTelemetryResumedSubscription).telemetry.ts),
    );

  it('delivers every point once, in order, while the device keeps sending', async () => {
    const [ingest, , firstApi] = roles as [RunningRole, RunningRole, RunningRole];
    const { registerDevice } = await expectData(
      createGraphQLClient(firstApi.baseUrl, stack.adminToken)(RegisterDeviceDocument, {
        input: {
          externalId: 'resumed',
          name: 'Resumed meter',
          type: 'meter',
          labels: [{ key: 'line', value: 'resume' }],
        },
      }),
    );
    const start = Date.now();
    let ts = start;
    const sender = keepSending(
      async (pointTs) => {
        const point = { ts: pointTs, metrics: { power: pointTs % 1000 } };
        const response = await postTelemetry(
          ingest.baseUrl,
          registerDevice.token,
          JSON.stringify(point),
        );
        expect(response.status).toBe(202);
      },
      { nextTs: () => ++ts, pauseMs: 10 },
    );
    const { sent } = sender;
    try {
      const first = subscribe(firstApi, {
        deviceIds: [registerDevice.device.id],
        since: new Date(start).toISOString(),
      });
      await eventually(
        async () => (first.received.length >= 30 ? true : undefined),
        30_000,
        'points on the first api',
      );
      await firstApi.kill();
      await first.close();
      const before = [...first.received];
      const last = before.at(-1)!;

      const secondApi = await startRole('api', env);
      roles.push(secondApi);
      const second = subscribe(secondApi, {
        filter: { labels: [{ key: 'line', value: 'resume' }] },
        since: new Date(last).toISOString(),
      });
      try {
        await eventually(
          async () => (second.received.length >= 50 ? true : undefined),
          30_000,
          'points on the second api',
        );
        await sender.stop();
        const final = sent.at(-1)!;
        await eventually(
          async () => (second.received.includes(final) ? true : undefined),
          30_000,
          'the last point',
        );
        expect(before).toEqual(sent.filter((t) => t <= last));
        expect(second.received).toEqual(sent.filter((t) => t > last));
        expect(second.errors).toEqual([]);
      } finally {
        await second.close();
      }
    } finally {
      await sender.stop();
    }
  }, 120_000);
});
