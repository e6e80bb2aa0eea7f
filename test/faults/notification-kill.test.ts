/**
 * Nothing an alert should say is lost to a crash: the real `npm start` process is SIGKILLed while
 * its notifications are being sent (the receiver holds the first requests unanswered, so they
 * were sent and never recorded) and while episodes are still being opened, then restarted on the
 * same DATA_DIR. Afterwards the receiver has every episode's notification at least once, and each
 * message cut off by the kill arrives again with the same webhook-id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertEpisodesDocument,
  CreateAlertRuleDocument,
  CreateNotificationChannelDocument,
  NotificationDeliveriesDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import { makeDataDir } from '../support/embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { startNotificationReceiver } from '../support/notification-receiver.js';
import { startEmbeddedProcess } from '../support/processes.js';

const DEVICES = 20;

const startEmbedded = (dataDir: string) =>
  startEmbeddedProcess({
    DATA_DIR: dataDir,
    NOTIFICATION_ALLOWED_NETWORKS: '127.0.0.0/8',
    // A lease is twice the timeout and 5 s: a dead sender's messages are sent again 7 s on.
    NOTIFICATION_TIMEOUT: '1s',
    NOTIFICATION_POLL_MS: '100',
    ALERT_RULE_CACHE_MS: '0',
  });

describe('embedded mode: notifications survive a SIGKILL', () => {
  let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
  let app: Awaited<ReturnType<typeof startEmbedded>>;
  let receiver: Awaited<ReturnType<typeof startNotificationReceiver>>;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    // Until the kill nothing is answered: whatever was sent stays unacknowledged.
    receiver = await startNotificationReceiver(() => 'hang');
    app = await startEmbedded(dataDir.dir);
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
    await dataDir?.remove();
  });

  it('delivers every episode at least once, with the webhook-id it was first sent with', async () => {
    const gql = createGraphQLClient(app.baseUrl, app.adminToken);
    const { createNotificationChannel } = await expectData(
      gql(CreateNotificationChannelDocument, {
        input: { name: 'ops', kind: 'WEBHOOK', url: `${receiver.url}/hook` },
      }),
    );
    await expectData(
      gql(CreateAlertRuleDocument, {
        input: {
          name: 'too hot',
          metric: 'temperature',
          condition: 'GT',
          threshold: 30,
          channelIds: [createNotificationChannel.channel.id],
        },
      }),
    );
    const tokens: string[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const { registerDevice } = await expectData(
        gql(RegisterDeviceDocument, {
          input: { externalId: `hot-${i}`, name: `Hot ${i}`, type: 'boiler' },
        }),
      );
      tokens.push(registerDevice.token);
    }

    // Every device turns hot at once; the kill comes as the first message reaches the receiver,
    // while the others are in flight, being opened, or not yet evaluated.
    const ts = Date.now();
    await Promise.all(
      tokens.map(async (token) => {
        const response = await postTelemetry(
          app.baseUrl,
          token,
          JSON.stringify({ ts, metrics: { temperature: 40 } }),
        );
        expect(response.status).toBe(202);
      }),
    );
    await eventually(async () => receiver.requests[0], 15_000, 'the first notification');
    await app.kill();
    const cutOff = new Set(receiver.requests.map((request) => request.headers['webhook-id']));
    expect(cutOff.size).toBeGreaterThan(0);

    receiver.setAnswer(() => 200);
    const sentBeforeKill = receiver.requests.length;
    app = await startEmbedded(dataDir.dir);
    const after = createGraphQLClient(app.baseUrl, app.adminToken);
    const episodes = await eventually(async () => {
      const { alertEpisodes } = await expectData(after(AlertEpisodesDocument, { first: 100 }));
      return alertEpisodes.edges.length === DEVICES ? alertEpisodes.edges : undefined;
    }, 30_000);

    const episodeOf = (body: string) =>
      (JSON.parse(body) as { data: { episodeId: string } }).data.episodeId;
    const deliveredAfter = () => receiver.requests.slice(sentBeforeKill);
    await eventually(
      async () => {
        const told = new Set(deliveredAfter().map((request) => episodeOf(request.body)));
        return episodes.every((edge) => told.has(edge.node.id)) ? true : undefined;
      },
      60_000,
      'a notification of every episode after the restart',
    );
    const idsAfter = new Set(deliveredAfter().map((request) => request.headers['webhook-id']));
    for (const id of cutOff) expect(idsAfter).toContain(id);

    const deliveries = await eventually(async () => {
      const { notificationDeliveries } = await expectData(
        after(NotificationDeliveriesDocument, { first: 100 }),
      );
      const nodes = notificationDeliveries.edges.map((edge) => edge.node);
      return nodes.every((node) => node.status === 'DELIVERED') ? nodes : undefined;
    });
    expect(deliveries).toHaveLength(DEVICES);
    expect(new Set(deliveries.map((delivery) => delivery.id))).toEqual(idsAfter);
  });
});
