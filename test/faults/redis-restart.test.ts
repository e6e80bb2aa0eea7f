/**
 * Redis restarted under a live subscription: the subscriber keeps receiving points afterwards
 * without reconnecting by hand, and ingest and queries are unaffected while Redis is away.
 */
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DevicesDocument,
  LiveTelemetryDocument,
  type LiveTelemetrySubscription,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';
import { serviceCommand } from '../support/service-control.js';

const services = await findProductionServices();

describe.skipIf(!services)('Redis restart', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let roles: RunningRole[] = [];

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    roles = await Promise.all([
      startRole('ingest', stack.env),
      startRole('pipeline', stack.env),
      startRole('api', stack.env),
    ]);
  }, 90_000);

  afterAll(async () => {
    await serviceCommand('redis', 'start');
    await Promise.all(roles.map((role) => role.stop()));
    await stack?.cleanup();
  });

  it('resumes live delivery after a Redis restart; ingest and queries keep working meanwhile', async () => {
    const [ingest, , api] = roles as [RunningRole, RunningRole, RunningRole];
    const device = await stack.registerDevice('redis-live');
    const received: number[] = [];
    const client = liveClient(api.baseUrl, stack.adminToken);
    client.subscribe(
      { query: print(LiveTelemetryDocument), variables: { deviceIds: [device.id] } },
      {
        next: (message) => {
          const point = (message.data as LiveTelemetrySubscription | undefined)?.telemetry;
          const seq = point?.metrics.find((metric) => metric.metric === 'seq')?.value;
          if (typeof seq === 'number') received.push(seq);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    let seq = 0;
    const post = async () => {
      const body = JSON.stringify({ ts: Date.UTC(2026, 7, 1) + seq, metrics: { seq } });
      seq++;
      return (await postTelemetry(ingest.baseUrl, device.token, body)).status;
    };
    try {
      await eventually(
        async () => {
          await post();
          await new Promise((resolve) => setTimeout(resolve, 100));
          return received.length > 0 ? true : undefined;
        },
        15_000,
        'first live point',
      );

      await serviceCommand('redis', 'stop');
      expect(await post()).toBe(202);
      const devices = await expectData(
        createGraphQLClient(api.baseUrl, stack.adminToken)(DevicesDocument, {}),
      );
      expect(devices.devices.edges.map((edge) => edge.node.id)).toContain(device.id);
      await serviceCommand('redis', 'start');

      const before = seq;
      await eventually(
        async () => {
          await post();
          await new Promise((resolve) => setTimeout(resolve, 200));
          return received.some((value) => value >= before) ? true : undefined;
        },
        30_000,
        'live points after the restart',
      );
    } finally {
      await client.dispose();
    }
  }, 90_000);
});
