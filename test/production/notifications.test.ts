/**
 * Alert notifications in production, across real processes on the real engines: two pipeline
 * replicas share the outbox in PostgreSQL, and a webhook receiver gets each episode's message
 * once, signed; then both replicas are SIGKILLed while their messages are unanswered, and a new
 * replica sends every one of them again, with the same webhook-id.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAlertRuleDocument,
  CreateNotificationChannelDocument,
  NotificationDeliveriesDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { startNotificationReceiver, type Answer } from '../support/notification-receiver.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();
const DEVICES = 10;

describe.skipIf(!services)('production notifications with two pipeline replicas', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let receiver: Awaited<ReturnType<typeof startNotificationReceiver>>;
  let env: Record<string, string>;
  const roles: RunningRole[] = [];
  let ingest: RunningRole;
  let api: RunningRole;
  let answer: Answer = 204;

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    receiver = await startNotificationReceiver(() => answer);
    env = {
      ...stack.env,
      NOTIFICATION_ALLOWED_NETWORKS: '127.0.0.0/8',
      NOTIFICATION_TIMEOUT: '1s',
      NOTIFICATION_POLL_MS: '100',
      ALERT_RULE_CACHE_MS: '0',
    };
    const started = await Promise.all([
      startRole('ingest', env),
      startRole('api', env),
      startRole('pipeline', env),
      startRole('pipeline', env),
    ]);
    [ingest, api] = started;
    roles.push(...started);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(roles.map((role) => role.stop()));
    await receiver?.close();
    await stack?.cleanup();
  });

  /** Devices that all turn hot (a value over the rule's threshold) at once. */
  async function heatUp(prefix: string, ruleMetric: string) {
    const gql = createGraphQLClient(api.baseUrl, stack.adminToken);
    const ts = Date.now();
    for (let i = 0; i < DEVICES; i++) {
      const { registerDevice } = await expectData(
        gql(RegisterDeviceDocument, {
          input: { externalId: `${prefix}-${i}`, name: `${prefix} ${i}`, type: 'boiler' },
        }),
      );
      const response = await postTelemetry(
        ingest.baseUrl,
        registerDevice.token,
        JSON.stringify({ ts, metrics: { [ruleMetric]: 40 } }),
      );
      expect(response.status).toBe(202);
    }
  }

  async function routedRule(metric: string, path: string) {
    const gql = createGraphQLClient(api.baseUrl, stack.adminToken);
    const { createNotificationChannel } = await expectData(
      gql(CreateNotificationChannelDocument, {
        input: { name: path, kind: 'WEBHOOK', url: `${receiver.url}/${path}` },
      }),
    );
    await expectData(
      gql(CreateAlertRuleDocument, {
        input: {
          name: `${metric} too high`,
          metric,
          condition: 'GT',
          threshold: 30,
          channelIds: [createNotificationChannel.channel.id],
        },
      }),
    );
    return createNotificationChannel;
  }

  const to = (path: string) => receiver.requests.filter((request) => request.path === `/${path}`);

  it('sends each episode once, signed, whichever replica claims it', async () => {
    const channel = await routedRule('heat', 'once');
    await heatUp('once', 'heat');
    await eventually(
      async () => (to('once').length >= DEVICES ? true : undefined),
      30_000,
      `${DEVICES} notifications`,
    );
    // Long enough for a second copy to arrive, were one coming.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const requests = to('once');
    expect(requests).toHaveLength(DEVICES);
    const verifier = new Webhook(channel.signingSecret!);
    const episodes = requests.map(
      (request) =>
        (
          verifier.verify(request.body, request.headers as Record<string, string>) as {
            data: { episodeId: string };
          }
        ).data.episodeId,
    );
    expect(new Set(episodes).size).toBe(DEVICES);
  });

  it('sends again, with the same webhook-id, what replicas killed mid-send left unanswered', async () => {
    answer = 'hang';
    const channel = await routedRule('fever', 'killed');
    await heatUp('killed', 'fever');
    await eventually(async () => to('killed')[0], 30_000, 'a first notification');
    const pipelines = roles.filter((role) => role.role === 'pipeline');
    await Promise.all(pipelines.map((pipeline) => pipeline.kill()));
    const cutOff = new Set(to('killed').map((request) => request.headers['webhook-id']));

    answer = 204;
    const sentBefore = to('killed').length;
    // Ready once it joined the consumer group, which waits for the dead members' Kafka sessions
    // to end (up to 30 s): more than startRole's default wait.
    roles.push(await startRole('pipeline', env, 60_000));
    const gql = createGraphQLClient(api.baseUrl, stack.adminToken);
    const deliveries = await eventually(
      async () => {
        const { notificationDeliveries } = await expectData(
          gql(NotificationDeliveriesDocument, { channelId: channel.channel.id, first: 100 }),
        );
        const nodes = notificationDeliveries.edges.map((edge) => edge.node);
        return nodes.length === DEVICES && nodes.every((node) => node.status === 'DELIVERED')
          ? nodes
          : undefined;
      },
      // The dead members' Kafka sessions end before the new replica evaluates what they left.
      90_000,
      'every delivery DELIVERED',
    );
    const resent = new Set(
      to('killed')
        .slice(sentBefore)
        .map((r) => r.headers['webhook-id']),
    );
    for (const id of cutOff) expect(resent).toContain(id);
    expect(new Set(deliveries.map((delivery) => delivery.id))).toEqual(
      new Set(to('killed').map((request) => request.headers['webhook-id'])),
    );
  }, 150_000);
});
