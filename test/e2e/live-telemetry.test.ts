/**
 * The telemetry subscription's arguments end to end on the real embedded app, over graphql-ws:
 * `metrics` keeps only the metrics asked, `where` only the points meeting its condition,
 * `sampleEvery` at most one message per device per interval with each metric's newest value; a
 * bad argument is refused with BAD_USER_INPUT before anything streams.
 */
import { describe, expect, it } from 'vitest';
import {
  LiveTelemetryShapedDocument,
  RegisterDeviceDocument,
  type LiveTelemetryShapedSubscription,
  type LiveTelemetryShapedSubscriptionVariables,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { subscribeLive } from '../support/live-subscription.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

type Message = LiveTelemetryShapedSubscription['telemetry'];

const app = useEmbeddedApp();

async function register(externalId: string) {
  const gql = createGraphQLClient(app.baseUrl, app.adminToken);
  const data = await expectData(
    gql(RegisterDeviceDocument, { input: { externalId, name: externalId, type: 'meter' } }),
  );
  return { id: data.registerDevice.device.id, token: data.registerDevice.token };
}

async function send(token: string, ts: number, metrics: Record<string, number | string>) {
  const response = await postTelemetry(app.baseUrl, token, JSON.stringify({ ts, metrics }));
  expect(response.status).toBe(202);
}

/** Subscribes with `variables`; what arrives, with the time it arrived, and the errors. */
const subscribe = (variables: LiveTelemetryShapedSubscriptionVariables) =>
  subscribeLive(
    app.baseUrl,
    app.adminToken,
    { document: LiveTelemetryShapedDocument, variables },
    (data) => ({ at: Date.now(), message: (data as LiveTelemetryShapedSubscription).telemetry }),
  );

const valuesOf = (message: Message) =>
  Object.fromEntries(message.metrics.map(({ metric, value }) => [metric, value]));

describe('telemetry subscription arguments', () => {
  it('sends only the metrics asked, only the points meeting `where`', async () => {
    const device = await register('shaped');
    const live = subscribe({
      deviceIds: [device.id],
      metrics: ['power', 'mode'],
      where: { metric: 'power', condition: 'GT', threshold: 100 },
    });
    try {
      // Until the subscription is live: a point meeting the condition each turn.
      let ts = Date.UTC(2026, 0, 1);
      await eventually(
        async () => {
          await send(device.token, ++ts, { power: 150, voltage: 230, mode: 'eco' });
          await new Promise((resolve) => setTimeout(resolve, 100));
          return live.received.length > 0 ? true : undefined;
        },
        10_000,
        'the subscription to be live',
      );
      const start = ts;
      await send(device.token, start + 1, { power: 50, mode: 'off' }); // power not > 100
      await send(device.token, start + 2, { voltage: 231 }); // no power at all
      await send(device.token, start + 3, { power: 101, voltage: 229 });
      await eventually(
        async () =>
          live.received.some((r) => Date.parse(r.message.ts) === start + 3) ? 1 : undefined,
        5_000,
        'the last point',
      );
      const after = live.received.filter((r) => Date.parse(r.message.ts) > start);
      expect(after.map((r) => [Date.parse(r.message.ts), valuesOf(r.message)])).toEqual([
        [start + 3, { power: 101 }],
      ]);
      expect(valuesOf(live.received[0]!.message)).toEqual({ power: 150, mode: 'eco' });
      expect(live.errors).toEqual([]);
    } finally {
      await live.close();
    }
  });

  it('sends at most one message per device per sampleEvery, with each metric newest', async () => {
    const device = await register('sampled');
    const live = subscribe({ deviceIds: [device.id], sampleEvery: '1s' });
    try {
      let ts = Date.UTC(2026, 0, 2);
      await eventually(
        async () => {
          await send(device.token, ++ts, { n: 0 });
          await new Promise((resolve) => setTimeout(resolve, 100));
          return live.received.length > 0 ? true : undefined;
        },
        10_000,
        'the subscription to be live',
      );
      // 20 points over about 2 s, `odd` only in some of them.
      const sent: { ts: number; n: number; odd?: number }[] = [];
      for (let n = 1; n <= 20; n++) {
        const point = { ts: ++ts, n, ...(n % 2 === 1 ? { odd: n } : {}) };
        sent.push(point);
        await send(device.token, point.ts, { n, ...(point.odd ? { odd: point.odd } : {}) });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await eventually(
        async () => (live.received.some((r) => Date.parse(r.message.ts) === ts) ? 1 : undefined),
        5_000,
        'the last point, at the end of its interval',
      );
      const times = live.received.map((r) => r.at);
      for (let i = 1; i < times.length; i++) {
        // The server's interval, seen by the client (its clock, one socket: a few ms of slack).
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(950);
      }
      expect(live.received.length).toBeLessThanOrEqual(5);
      expect(valuesOf(live.received.at(-1)!.message)).toEqual({ n: 20, odd: 19 });
    } finally {
      await live.close();
    }
  });

  it('refuses a bad argument with BAD_USER_INPUT', async () => {
    const device = await register('refused');
    const cases: [Partial<LiveTelemetryShapedSubscriptionVariables>, RegExp][] = [
      [{ sampleEvery: '10ms' }, /sampleEvery must be a duration from 100ms to 1h/],
      [{ sampleEvery: '2h' }, /sampleEvery must be/],
      [{ sampleEvery: 'soon' }, /sampleEvery must be/],
      [
        { where: { metric: 'power', condition: 'GT', threshold: 'high' } },
        /threshold must be a number/,
      ],
      [{ where: { metric: '1power', condition: 'EQ', threshold: 1 } }, /where\.metric|1power/],
      [{ metrics: ['ok', 'not ok'] }, /not ok/],
    ];
    for (const [variables, message] of cases) {
      const live = subscribe({ deviceIds: [device.id], ...variables });
      try {
        await eventually(
          async () => (live.errors.length > 0 ? true : undefined),
          5_000,
          `the refusal of ${JSON.stringify(variables)}`,
        );
        const [error] = live.errors as { message: string; extensions?: { code?: string } }[];
        expect(error?.extensions?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
        expect(error?.message).toMatch(message);
      } finally {
        await live.close();
      }
    }
  });
});
