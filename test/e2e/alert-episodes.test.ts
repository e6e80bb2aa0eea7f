/**
 * Alert rules that wait and do not flap, and their episodes, end to end on the embedded app: a
 * rule with `forDuration` and a clear threshold goes PENDING, FIRING, holds while the value hovers
 * above the clear threshold, and resolves once it stayed below it for as long; the episode is
 * kept with its peak, paged, acknowledged with a note, and each change reaches `alertEvents`.
 */
import { describe, expect, it } from 'vitest';
import {
  AcknowledgeAlertEpisodeDocument,
  AlertEpisodesDocument,
  AlertsDocument,
  CreateAlertRuleDocument,
  LiveAlertEventsDocument,
  RegisterDeviceDocument,
  UpdateAlertRuleDocument,
  type LiveAlertEventsSubscription,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { subscribeLive, untilLive } from '../support/live-subscription.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

type Event = LiveAlertEventsSubscription['alertEvents'];

// Rules are read again at every batch, so a new rule applies at once.
const app = useEmbeddedApp({ ALERT_RULE_CACHE_MS: '0' });
const gql = () => createGraphQLClient(app.baseUrl, app.adminToken);

async function register(externalId: string, type: string) {
  const { registerDevice } = await expectData(
    gql()(RegisterDeviceDocument, { input: { externalId, name: externalId, type } }),
  );
  return { id: registerDevice.device.id, token: registerDevice.token };
}

async function send(token: string, ts: number, temperature: number) {
  const response = await postTelemetry(
    app.baseUrl,
    token,
    JSON.stringify({ ts, metrics: { temperature } }),
  );
  expect(response.status).toBe(202);
}

async function statusOf(ruleId: string, deviceId: string) {
  const { alerts } = await expectData(gql()(AlertsDocument, { ruleId, deviceId }));
  return alerts[0];
}

/**
 * Sends one point and waits until the rule has evaluated it: one at a time through the pipeline,
 * so the alert can be read in between. Returns the alert then.
 */
async function sendEvaluated(
  ruleId: string,
  device: { id: string; token: string },
  ts: number,
  temperature: number,
) {
  await send(device.token, ts, temperature);
  return eventually(async () => {
    const alert = await statusOf(ruleId, device.id);
    return alert && Date.parse(alert.evaluatedAt) >= ts ? alert : undefined;
  });
}

const subscribeAlertEvents = () =>
  subscribeLive(
    app.baseUrl,
    app.adminToken,
    { document: LiveAlertEventsDocument },
    (data) => (data as LiveAlertEventsSubscription).alertEvents,
  );

describe('alert episodes', () => {
  it('waits out forDuration, holds above the clear threshold, and keeps the episode', async () => {
    const device = await register('episode-boiler', 'episode-boiler');
    const { createAlertRule: rule } = await expectData(
      gql()(CreateAlertRuleDocument, {
        input: {
          name: 'Too hot for a minute',
          metric: 'temperature',
          condition: 'GT',
          threshold: 80,
          clearThreshold: 75,
          forDuration: '1m',
          deviceType: 'episode-boiler',
        },
      }),
    );
    expect(rule).toMatchObject({ forDuration: '1m', clearThreshold: 75 });
    const events = subscribeAlertEvents();
    try {
      // Live once a canary device's episode arrives (a rule of its own type fires at once).
      const canary = await register('episode-canary', 'episode-canary');
      await expectData(
        gql()(CreateAlertRuleDocument, {
          input: {
            name: 'canary',
            metric: 'temperature',
            condition: 'GT',
            threshold: 0,
            deviceType: 'episode-canary',
          },
        }),
      );
      let canaryTs = Date.now() - 3_600_000;
      await untilLive(
        events,
        () => send(canary.token, ++canaryTs, canaryTs % 2),
        (event: Event) => event.episode.deviceId === canary.id,
      );

      const t0 = Date.UTC(2026, 0, 1);
      const at = (seconds: number) => t0 + seconds * 1_000;
      const sendAt = (seconds: number, temperature: number) =>
        sendEvaluated(rule.id, device, at(seconds), temperature);
      await sendAt(0, 85);
      expect((await statusOf(rule.id, device.id))?.status).toBe('PENDING');
      await sendAt(30, 90);
      expect((await statusOf(rule.id, device.id))?.status).toBe('PENDING');
      await sendAt(60, 95); // met for a minute
      expect(await statusOf(rule.id, device.id)).toMatchObject({
        status: 'FIRING',
        since: new Date(at(60)).toISOString(),
      });
      // Hovering between the clear threshold and the threshold: still firing.
      for (const [seconds, value] of [
        [90, 78],
        [120, 82],
        [150, 76],
      ] as const) {
        await sendAt(seconds, value);
        expect((await statusOf(rule.id, device.id))?.status).toBe('FIRING');
      }
      await sendAt(180, 70); // at or below 75 from here…
      await sendAt(210, 72);
      expect((await statusOf(rule.id, device.id))?.status).toBe('FIRING');
      await sendAt(240, 71); // …for a minute: resolved
      expect((await statusOf(rule.id, device.id))?.status).toBe('OK');

      const { alertEpisodes } = await expectData(gql()(AlertEpisodesDocument, { ruleId: rule.id }));
      expect(alertEpisodes.edges.map(({ node }) => node)).toEqual([
        expect.objectContaining({
          deviceId: device.id,
          firing: false,
          startedAt: new Date(at(60)).toISOString(),
          endedAt: new Date(at(240)).toISOString(),
          startValue: 95,
          peakValue: 95,
          endValue: 71,
          ruleAtStart: {
            name: 'Too hot for a minute',
            condition: 'GT',
            threshold: 80,
            clearThreshold: 75,
            forDuration: '1m',
          },
          acknowledgement: null,
          rule: { id: rule.id },
          device: { externalId: 'episode-boiler' },
        }),
      ]);
      const episode = alertEpisodes.edges[0]!.node;

      const { acknowledgeAlertEpisode } = await expectData(
        gql()(AcknowledgeAlertEpisodeDocument, { id: episode.id, note: 'valve replaced' }),
      );
      expect(acknowledgeAlertEpisode.acknowledgement).toMatchObject({ note: 'valve replaced' });

      // The rule changed since: the episode still says what it was when it began.
      await expectData(gql()(UpdateAlertRuleDocument, { id: rule.id, input: { threshold: 99 } }));
      const again = await expectData(gql()(AlertEpisodesDocument, { ruleId: rule.id }));
      expect(again.alertEpisodes.edges[0]!.node.ruleAtStart.threshold).toBe(80);

      await eventually(async () => {
        const mine = events.received.filter((event) => event.episode.id === episode.id);
        return mine.length >= 3 ? mine : undefined;
      });
      const mine = events.received.filter((event) => event.episode.id === episode.id);
      expect(mine.map((event) => event.kind)).toEqual(['FIRING', 'RESOLVED', 'ACKNOWLEDGED']);
      expect(mine[1]!.episode.endedAt).toBe(new Date(at(240)).toISOString());
      expect(mine[2]!.episode.acknowledgement?.note).toBe('valve replaced');
      expect(events.errors).toEqual([]);
    } finally {
      await events.close();
    }
  }, 60_000);

  it('NO_DATA fires on time with no traffic at all, once, and resolves when the device is heard from', async () => {
    const device = await register('silent-meter', 'silent-meter');
    const { createAlertRule: rule } = await expectData(
      gql()(CreateAlertRuleDocument, {
        input: { name: 'Silent', kind: 'NO_DATA', forDuration: '2s', deviceType: 'silent-meter' },
      }),
    );
    expect(rule).toMatchObject({ kind: 'NO_DATA', metric: null, condition: null, threshold: null });
    const events = subscribeAlertEvents();
    try {
      // Live once the rule's own first firing could not have been missed: a canary device of
      // its type, silent for 2 s, fires it.
      const canary = await register('silent-canary', 'silent-meter');
      await untilLive(
        events,
        async () => {
          await send(canary.token, Date.now(), 1);
          await new Promise((resolve) => setTimeout(resolve, 2_500));
        },
        (event: Event) => event.episode.deviceId === canary.id && event.kind === 'FIRING',
        'the alertEvents subscription to be live',
        30_000,
      );
      const sentAt = Date.now();
      await send(device.token, sentAt, 20);
      const fired = await eventually(
        async () =>
          events.received.find(
            (event) => event.episode.deviceId === device.id && event.kind === 'FIRING',
          ),
        10_000,
        'the silence to fire',
      );
      // On time: its deadline is the receipt plus 2 s, and the sweep runs every 500 ms.
      const startedAt = Date.parse(fired.episode.startedAt);
      expect(startedAt).toBeGreaterThanOrEqual(sentAt + 2_000);
      expect(startedAt).toBeLessThan(sentAt + 3_000);
      expect(fired.episode).toMatchObject({ firing: true, startValue: 2 });
      expect((await statusOf(rule.id, device.id))?.status).toBe('FIRING');
      // Still silent: nothing more is raised.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await send(device.token, Date.now(), 21);
      const resolved = await eventually(
        async () =>
          events.received.find(
            (event) => event.episode.deviceId === device.id && event.kind === 'RESOLVED',
          ),
        10_000,
        'the silence to resolve',
      );
      expect(resolved.episode.id).toBe(fired.episode.id);
      expect(resolved.episode.endValue as number).toBeGreaterThanOrEqual(3);
      const mine = events.received.filter((event) => event.episode.deviceId === device.id);
      expect(mine.map((event) => event.kind)).toEqual(['FIRING', 'RESOLVED']);
      expect((await statusOf(rule.id, device.id))?.status).toBe('OK');
    } finally {
      await events.close();
    }
  }, 60_000);

  it("ANOMALY fires on a value unlike the device's own recent ones and resolves when they are usual again", async () => {
    const device = await register('anomaly-boiler', 'anomaly-boiler');
    const { createAlertRule: rule } = await expectData(
      gql()(CreateAlertRuleDocument, {
        input: {
          name: 'Odd temperature',
          kind: 'ANOMALY',
          metric: 'temperature',
          deviations: 3,
          windowPoints: 10,
          deviceType: 'anomaly-boiler',
        },
      }),
    );
    expect(rule).toMatchObject({
      kind: 'ANOMALY',
      deviations: 3,
      windowPoints: 10,
      threshold: null,
    });
    const t0 = Date.UTC(2026, 2, 1);
    const values = [20, 21, 19, 20, 22, 20, 21, 19, 20, 21, 20.5, 35, 20];
    for (const [i, value] of values.entries()) {
      const alert = await sendEvaluated(rule.id, device, t0 + i * 1_000, value);
      // Only the 35 is unlike the ten values before it.
      expect([i, alert.status]).toEqual([i, value === 35 ? 'FIRING' : 'OK']);
    }
    const { alertEpisodes } = await expectData(gql()(AlertEpisodesDocument, { ruleId: rule.id }));
    expect(alertEpisodes.edges.map(({ node }) => node)).toEqual([
      expect.objectContaining({
        startedAt: new Date(t0 + 11_000).toISOString(),
        endedAt: new Date(t0 + 12_000).toISOString(),
        startValue: 35,
        endValue: 20,
      }),
    ]);
  });

  it('pages episodes newest first and refuses a bad forDuration or clear threshold', async () => {
    const device = await register('episode-pager', 'episode-pager');
    const { createAlertRule: rule } = await expectData(
      gql()(CreateAlertRuleDocument, {
        input: {
          name: 'flappy',
          metric: 'temperature',
          condition: 'GT',
          threshold: 50,
          deviceType: 'episode-pager',
        },
      }),
    );
    const t0 = Date.UTC(2026, 1, 1);
    const values = [60, 40, 60, 40, 60];
    await send(device.token, t0, 0);
    for (const [i, value] of values.entries())
      await send(device.token, t0 + (i + 1) * 1_000, value);
    const firstPage = await eventually(async () => {
      const { alertEpisodes } = await expectData(
        gql()(AlertEpisodesDocument, { ruleId: rule.id, first: 2 }),
      );
      return alertEpisodes.edges.length === 2 && alertEpisodes.pageInfo.hasNextPage
        ? alertEpisodes
        : undefined;
    });
    const { alertEpisodes: secondPage } = await expectData(
      gql()(AlertEpisodesDocument, {
        ruleId: rule.id,
        first: 2,
        after: firstPage.pageInfo.endCursor,
      }),
    );
    const starts = [...firstPage.edges, ...secondPage.edges].map(({ node }) =>
      Date.parse(node.startedAt),
    );
    expect(starts).toEqual([t0 + 5_000, t0 + 3_000, t0 + 1_000]);
    expect(secondPage.pageInfo.hasNextPage).toBe(false);
    const { alertEpisodes: firingNow } = await expectData(
      gql()(AlertEpisodesDocument, { ruleId: rule.id, firing: true }),
    );
    expect(firingNow.edges.map(({ node }) => Date.parse(node.startedAt))).toEqual([t0 + 5_000]);

    const threshold = {
      name: 'bad',
      metric: 'temperature',
      condition: 'GT',
      threshold: 50,
    } as const;
    const silence = { name: 'bad', kind: 'NO_DATA' } as const;
    for (const [input, field] of [
      [{ ...threshold, forDuration: '2d' }, 'forDuration'],
      [{ ...threshold, forDuration: 'soon' }, 'forDuration'],
      [{ ...threshold, clearThreshold: 55 }, 'clearThreshold'],
      [{ ...threshold, clearThreshold: 'cool' }, 'clearThreshold'],
      [{ name: 'bad', metric: 'temperature', threshold: 50 }, 'condition'],
      [{ ...silence, forDuration: '0s' }, 'forDuration'],
      [{ ...silence }, 'forDuration'],
      [{ ...silence, forDuration: '1m', clearThreshold: 40 }, 'clearThreshold'],
      [{ ...silence, forDuration: '1m', condition: 'GT' }, 'condition'],
      [{ ...threshold, deviations: 3 }, 'deviations'],
      [{ name: 'bad', kind: 'ANOMALY', metric: 'temperature', deviations: 0 }, 'deviations'],
      [{ name: 'bad', kind: 'ANOMALY', metric: 'temperature', windowPoints: 5 }, 'windowPoints'],
      [{ name: 'bad', kind: 'ANOMALY', deviations: 3 }, 'metric'],
    ] as const) {
      const result = await gql()(CreateAlertRuleDocument, { input });
      expect(result.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
  });
});
