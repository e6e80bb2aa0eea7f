/**
 * Alert notifications end to end on the embedded app: a webhook receiver verifies each message's
 * Standard Webhooks signature; a failing receiver is retried with the same webhook-id and every
 * attempt is queryable; PagerDuty events are checked against the Events API v2 schema; the
 * destinations a channel may have are checked; channels and deliveries stay in their organization.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationMessage } from '../../src/domain/notifications.js';
import {
  AlertRuleChannelsDocument,
  CreateAlertRuleDocument,
  CreateNotificationChannelDocument,
  NotificationChannelsDocument,
  NotificationDeliveriesDocument,
  RegisterDeviceDocument,
  RotateNotificationChannelSecretDocument,
  UpdateNotificationChannelDocument,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import {
  startNotificationReceiver,
  type ReceivedRequest,
} from '../support/notification-receiver.js';
import pagerDutySchema from '../support/pagerduty-event-v2.schema.json' with { type: 'json' };
import { userToken } from '../support/tokens.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const ORG = 'org-notify';
const ROUTING_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

let receiver: Awaited<ReturnType<typeof startNotificationReceiver>>;
beforeAll(async () => {
  receiver = await startNotificationReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

const app = useEmbeddedApp({
  // The receivers of these tests listen on loopback.
  NOTIFICATION_ALLOWED_NETWORKS: '127.0.0.0/8',
  NOTIFICATION_RETRY_INITIAL: '200ms',
  NOTIFICATION_POLL_MS: '50',
  ALERT_RULE_CACHE_MS: '0',
  get PAGERDUTY_EVENTS_URL() {
    return `${receiver.url}/pagerduty/v2/enqueue`;
  },
});

type Client = ReturnType<typeof createGraphQLClient>;
let gql: Client;
let ts = Date.UTC(2026, 5, 1);

beforeAll(async () => {
  gql = createGraphQLClient(app.baseUrl, await userToken(app.jwt, ORG, 'operator'));
});

/** A device, a rule "<metric> GT 30" routed to the channel, and a way to send values. */
async function watchedDevice(metric: string, channelIds: string[]) {
  const { registerDevice } = await expectData(
    gql(RegisterDeviceDocument, {
      input: { externalId: `${metric}-device`, name: `Boiler ${metric}`, type: 'boiler' },
    }),
  );
  const { createAlertRule } = await expectData(
    gql(CreateAlertRuleDocument, {
      input: { name: `${metric} too high`, metric, condition: 'GT', threshold: 30, channelIds },
    }),
  );
  return {
    deviceId: registerDevice.device.id,
    ruleId: createAlertRule.id,
    async send(value: number) {
      ts += 1_000;
      const response = await postTelemetry(
        app.baseUrl,
        registerDevice.token,
        JSON.stringify({ ts, metrics: { [metric]: value } }),
      );
      expect(response.status).toBe(202);
    },
  };
}

async function webhookChannel(path: string) {
  const { createNotificationChannel } = await expectData(
    gql(CreateNotificationChannelDocument, {
      input: { name: path, kind: 'WEBHOOK', url: `${receiver.url}/${path}` },
    }),
  );
  return {
    id: createNotificationChannel.channel.id,
    secret: createNotificationChannel.signingSecret!,
  };
}

const received = (path: string) =>
  receiver.requests.filter((request) => request.path === `/${path}`);

/** Waits for the `count`th request to `path`. */
const nthRequest = (path: string, count: number) =>
  eventually(async () => received(path)[count - 1], 15_000, `request ${count} to /${path}`);

const deliveriesOf = async (channelId: string) =>
  (
    await expectData(gql(NotificationDeliveriesDocument, { channelId }))
  ).notificationDeliveries.edges.map((edge) => edge.node);

describe('webhooks', () => {
  it('sends a signed message when an episode begins and another when it ends', async () => {
    const channel = await webhookChannel('signed');
    expect(channel.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const device = await watchedDevice('temp_signed', [channel.id]);
    await device.send(35);
    const firing = await nthRequest('signed', 1);
    await device.send(40);
    await device.send(20);
    const resolved = await nthRequest('signed', 2);

    // The receiver's side: verify, then read (standardwebhooks throws on a bad signature).
    const verifier = new Webhook(channel.secret);
    const verify = (request: ReceivedRequest) =>
      verifier.verify(
        request.body,
        request.headers as Record<string, string>,
      ) as NotificationMessage;
    const began = verify(firing);
    const ended = verify(resolved);
    expect(began).toMatchObject({
      type: 'alert.firing',
      data: {
        organizationId: ORG,
        status: 'FIRING',
        rule: {
          id: device.ruleId,
          name: 'temp_signed too high',
          metric: 'temp_signed',
          threshold: 30,
        },
        device: { id: device.deviceId, name: 'Boiler temp_signed', type: 'boiler' },
        startValue: 35,
        endedAt: null,
      },
    });
    expect(ended).toMatchObject({
      type: 'alert.resolved',
      data: { episodeId: began.data.episodeId, status: 'OK', peakValue: 40, endValue: 20 },
    });
    expect(firing.headers['webhook-id']).not.toBe(resolved.headers['webhook-id']);
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another secret entirely').toString('base64')}`).verify(
        firing.body,
        firing.headers as Record<string, string>,
      ),
    ).toThrow();

    const deliveries = await eventually(async () => {
      const listed = await deliveriesOf(channel.id);
      return listed.every((delivery) => delivery.status === 'DELIVERED') && listed.length === 2
        ? listed
        : undefined;
    });
    expect(deliveries.map((delivery) => [delivery.event, delivery.id])).toEqual([
      ['RESOLVED', resolved.headers['webhook-id']],
      ['FIRING', firing.headers['webhook-id']],
    ]);
    expect(deliveries[1]!.episode).toEqual({ id: began.data.episodeId, firing: false });
    expect(deliveries[1]!.attempts).toEqual([
      { at: expect.any(String), statusCode: 202, latencyMs: expect.any(Number), error: null },
    ]);
    expect(JSON.parse(deliveries[1]!.body)).toEqual(began);
  });

  it('retries a failing receiver with backoff and the same webhook-id, recording every attempt', async () => {
    const channel = await webhookChannel('flaky');
    let failures = 0;
    receiver.setAnswer((request) =>
      request.path === '/flaky' && failures++ < 2 ? 503 : request.path === '/flaky' ? 200 : 202,
    );
    const device = await watchedDevice('temp_flaky', [channel.id]);
    await device.send(50);
    await nthRequest('flaky', 3);
    const attempts = received('flaky');
    expect(new Set(attempts.map((request) => request.headers['webhook-id'])).size).toBe(1);
    // Backoff: at least half of 200 ms, then of 400 ms, between the attempts (equal jitter).
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(100);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(200);
    const [delivery] = await eventually(async () => {
      const listed = await deliveriesOf(channel.id);
      return listed[0]?.status === 'DELIVERED' ? listed : undefined;
    });
    expect(delivery!.attempts.map((attempt) => [attempt.statusCode, attempt.error])).toEqual([
      [503, expect.stringMatching(/^HTTP 503/)],
      [503, expect.stringMatching(/^HTTP 503/)],
      [200, null],
    ]);
    receiver.setAnswer(() => 202);
  });

  it('does not follow a redirect, and gives up on a disabled channel without sending', async () => {
    const channel = await webhookChannel('moved');
    receiver.setAnswer((request) => (request.path === '/moved' ? 302 : 202));
    const device = await watchedDevice('temp_moved', [channel.id]);
    await device.send(31);
    const [first] = await eventually(async () => {
      const listed = await deliveriesOf(channel.id);
      return listed[0]?.attempts.length ? listed : undefined;
    });
    expect(first!.attempts[0]!.error).toMatch(/^HTTP 302: redirect to .* not followed/);
    expect(first!.status).toBe('PENDING');

    await expectData(
      gql(UpdateNotificationChannelDocument, { id: channel.id, input: { enabled: false } }),
    );
    const [givenUp] = await eventually(async () => {
      const listed = await deliveriesOf(channel.id);
      return listed[0]?.status === 'FAILED' ? listed : undefined;
    }, 15_000);
    expect(givenUp!.attempts.at(-1)).toMatchObject({ statusCode: null, error: 'channel disabled' });
    expect(received('moved').length).toBe(givenUp!.attempts.length - 1);
    receiver.setAnswer(() => 202);
  });

  it('signs with a rotated secret from then on', async () => {
    const channel = await webhookChannel('rotated');
    const { rotateNotificationChannelSecret } = await expectData(
      gql(RotateNotificationChannelSecretDocument, { id: channel.id }),
    );
    const secret = rotateNotificationChannelSecret.signingSecret!;
    expect(secret).not.toBe(channel.secret);
    const device = await watchedDevice('temp_rotated', [channel.id]);
    await device.send(99);
    const request = await nthRequest('rotated', 1);
    const headers = request.headers as Record<string, string>;
    expect(() => new Webhook(secret).verify(request.body, headers)).not.toThrow();
    expect(() => new Webhook(channel.secret).verify(request.body, headers)).toThrow();
  });
});

describe('PagerDuty', () => {
  it('triggers and resolves one incident per episode, each event valid for the Events API v2', async () => {
    const { createNotificationChannel } = await expectData(
      gql(CreateNotificationChannelDocument, {
        input: { name: 'on call', kind: 'PAGERDUTY', routingKey: ROUTING_KEY },
      }),
    );
    expect(createNotificationChannel.signingSecret).toBeNull();
    const device = await watchedDevice('temp_paged', [createNotificationChannel.channel.id]);
    await device.send(45);
    await nthRequest('pagerduty/v2/enqueue', 1);
    await device.send(10);
    await nthRequest('pagerduty/v2/enqueue', 2);

    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const valid = ajv.compile(pagerDutySchema);
    const [trigger, resolve] = received('pagerduty/v2/enqueue').map(
      (request) => JSON.parse(request.body) as Record<string, unknown>,
    );
    for (const event of [trigger, resolve]) {
      expect(valid(event), JSON.stringify(valid.errors)).toBe(true);
    }
    expect(trigger).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      payload: {
        summary: 'temp_paged too high: Boiler temp_paged — temp_paged GT 30 (value 45)',
        source: 'Boiler temp_paged',
        severity: 'error',
        class: 'THRESHOLD',
      },
    });
    expect(resolve).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'resolve',
      dedup_key: trigger!.dedup_key,
    });
  });

  it('refuses a routing key that is not one', async () => {
    const result = await gql(CreateNotificationChannelDocument, {
      input: { name: 'bad', kind: 'PAGERDUTY', routingKey: 'not-a-key' },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'routingKey',
    });
  });
});

describe('channels', () => {
  it.each([
    ['http://10.1.2.3/hook', /10\.1\.2\.3 is a private/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[fd00::1]/hook', /unique local|private/],
    ['ftp://hooks.example.com/x', /http or https|scheme/],
    ['https://user:password@hooks.example.com/x', /user|password|credentials/],
    ['not a url', /URL/],
  ])('refuses %s as a webhook URL', async (url, message) => {
    const result = await gql(CreateNotificationChannelDocument, {
      input: { name: 'bad', kind: 'WEBHOOK', url },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
    expect(result.errors?.[0]?.message).toMatch(message);
  });

  it('keeps channels and deliveries in their organization', async () => {
    const channel = await webhookChannel('private');
    const stranger = createGraphQLClient(
      app.baseUrl,
      await userToken(app.jwt, 'org-other', 'admin'),
    );
    expect(
      (await expectData(stranger(NotificationChannelsDocument, {}))).notificationChannels,
    ).toEqual([]);
    const deliveries = await expectData(
      stranger(NotificationDeliveriesDocument, { channelId: channel.id }),
    );
    expect(deliveries.notificationDeliveries.edges).toEqual([]);
    const routed = await stranger(CreateAlertRuleDocument, {
      input: { name: 'x', metric: 'm', condition: 'GT', threshold: 1, channelIds: [channel.id] },
    });
    expect(routed.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'channelIds',
    });
    const update = await stranger(UpdateNotificationChannelDocument, {
      id: channel.id,
      input: { name: 'mine now' },
    });
    expect(update.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const { alertRules } = await expectData(gql(AlertRuleChannelsDocument, {}));
    expect(alertRules.find((rule) => rule.name === 'temp_signed too high')?.channels).toEqual([
      { id: expect.any(String), name: 'signed' },
    ]);
  });
});

describe('without NOTIFICATION_ALLOWED_NETWORKS', () => {
  const strict = useEmbeddedApp();

  it.each([
    'http://127.0.0.1:9/hook',
    'http://localhost/hook',
    'http://[::1]/hook',
    'http://2130706433/',
  ])('refuses the loopback URL %s', async (url) => {
    const admin = createGraphQLClient(strict.baseUrl, strict.adminToken);
    const result = await admin(CreateNotificationChannelDocument, {
      input: { name: 'local', kind: 'WEBHOOK', url },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
    expect(result.errors?.[0]?.message).toMatch(/loopback/);
  });
});
