/**
 * `fleetLatest` end to end on the embedded app, over graphql-ws: the live total per site pushed
 * at once and then every `every`, following new values and devices registered later; identical
 * subscribers share one computation; a bad `every` is refused before anything streams; closed
 * subscriptions leave no timer behind.
 */
import { describe, expect, it } from 'vitest';
import {
  LiveFleetLatestDocument,
  RegisterDeviceDocument,
  type LiveFleetLatestSubscription,
  type LiveFleetLatestSubscriptionVariables,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { subscribeLive } from '../support/live-subscription.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

type Update = LiveFleetLatestSubscription['fleetLatest'];

const app = useEmbeddedApp();

async function register(externalId: string, site: string) {
  const gql = createGraphQLClient(app.baseUrl, app.adminToken);
  const data = await expectData(
    gql(RegisterDeviceDocument, {
      input: {
        externalId,
        name: externalId,
        type: 'meter',
        labels: [{ key: 'site', value: site }],
      },
    }),
  );
  return { id: data.registerDevice.device.id, token: data.registerDevice.token };
}

let ts = Date.now() - 60_000;
async function send(token: string, power: number) {
  const response = await postTelemetry(
    app.baseUrl,
    token,
    JSON.stringify({ ts: ++ts, metrics: { power } }),
  );
  expect(response.status).toBe(202);
}

const subscribe = (variables: LiveFleetLatestSubscriptionVariables) =>
  subscribeLive(
    app.baseUrl,
    app.adminToken,
    { document: LiveFleetLatestDocument, variables },
    (data) => (data as LiveFleetLatestSubscription).fleetLatest,
  );

/** Each site's SUM of power in an update, by site. */
const sums = (update: Update) =>
  Object.fromEntries(
    update.groups.map(({ group, metrics }) => [group.value, metrics[0]?.sum ?? null]),
  );

const BY_SITE = {
  filter: { type: 'meter' },
  metrics: ['power'],
  aggregates: ['SUM' as const, 'COUNT' as const],
  groupBy: { label: 'site' },
  every: '1s',
};

/** Active timers in this process (the embedded app runs in it). */
const timers = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('fleetLatest', () => {
  it("pushes each site's total at once and every `every`, with new values and new devices", async () => {
    const north1 = await register('north-1', 'north');
    const north2 = await register('north-2', 'north');
    const south1 = await register('south-1', 'south');
    await send(north1.token, 10);
    await send(north2.token, 20);
    await send(south1.token, 5);
    // Points reach the store asynchronously: until the query sees all three.
    const live = subscribe(BY_SITE);
    try {
      await eventually(
        async () => {
          const last = live.received.at(-1);
          return last && sums(last).north === 30 && sums(last).south === 5 ? true : undefined;
        },
        10_000,
        'the first totals',
      );
      expect(live.errors).toEqual([]);
      const first = live.received[0]!;
      expect(first.groups.map(({ group }) => group.by)).toEqual(['LABEL', 'LABEL']);

      await send(north1.token, 100);
      const north3 = await register('north-3', 'north');
      await send(north3.token, 1);
      await eventually(
        async () => (sums(live.received.at(-1)!).north === 121 ? true : undefined),
        10_000,
        'the new total of north',
      );
      const last = live.received.at(-1)!;
      expect(last.groups.find(({ group }) => group.value === 'north')?.group.deviceCount).toBe(3);

      // One push per second or so: never a burst, and each later than the one before.
      const times = live.received.map(({ at }) => Date.parse(at));
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);
      }
    } finally {
      await live.close();
    }
  });

  it('computes once for identical subscribers: they receive the same updates', async () => {
    const a = subscribe(BY_SITE);
    const b = subscribe(BY_SITE);
    try {
      await eventually(
        async () => (a.received.length >= 3 && b.received.length >= 3 ? true : undefined),
        10_000,
        'three updates each',
      );
      // `at` is when the answer was computed: a shared computation gives both the same times.
      const atA = new Set(a.received.map(({ at }) => at));
      const shared = b.received.filter(({ at }) => atA.has(at));
      expect(shared.length).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses an `every` under 1s, or not a duration, before anything streams', async () => {
    for (const every of ['500ms', 'soon', '2h']) {
      const live = subscribe({ ...BY_SITE, every });
      try {
        await eventually(
          async () => (live.errors.length > 0 ? true : undefined),
          5_000,
          `the refusal of ${every}`,
        );
        expect(live.received).toEqual([]);
        expect(live.errors[0]).toMatchObject({
          extensions: { code: 'BAD_USER_INPUT', field: 'every' },
        });
      } finally {
        await live.close();
      }
    }
  });

  it('leaves no timer behind once its subscribers are gone', async () => {
    const before = timers();
    // Distinct arguments: each is its own computation, with its own timer.
    const many = ['1s', '2s', '3s', '4s', '5s', '6s', '7s', '8s', '9s', '10s'].map((every) =>
      subscribe({ ...BY_SITE, every }),
    );
    await eventually(
      async () => (many.every((live) => live.received.length > 0) ? true : undefined),
      10_000,
      'a first update on each',
    );
    expect(timers()).toBeGreaterThanOrEqual(before + many.length);
    await Promise.all(many.map((live) => live.close()));
    await eventually(
      async () => (timers() <= before ? true : undefined),
      5_000,
      'the timers to be released',
    );
  });
});
