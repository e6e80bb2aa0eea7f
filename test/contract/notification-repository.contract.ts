/**
 * One contract for every NotificationRepository adapter, and for the outbox the alert repository
 * writes in its transactions (the two share one database). Each test works in organizations of
 * its own; the dispatcher's calls serve every organization, so results are filtered to the
 * test's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { episodeId } from '../../src/domain/alert-transitions.js';
import type { ClaimedDelivery } from '../../src/ports/notification-repository.js';
import type { EpisodeWrite } from '../../src/ports/alert-repository.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { TOO_HOT_RULE } from '../support/alert-fixtures.js';
import { uniqueSuffix } from '../support/services.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ROUTING_KEY = 'R0UT1NGKEY0123456789ABCDEFGHIJKL';
const LEASE = 30_000;

export function describeNotificationRepositoryContract(
  name: string,
  open: () => Promise<MetadataDatabase>,
) {
  describe(`NotificationRepository contract: ${name}`, () => {
    let db: MetadataDatabase;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db?.close();
    });

    const organization = () => `org-${uniqueSuffix()}`;
    const webhook = (organizationId: string, url = 'https://hooks.example.com/a') =>
      db.notifications.createChannel({
        organizationId,
        name: 'ops webhook',
        kind: 'WEBHOOK',
        url,
        signingSecret: SECRET,
      });
    const pagerDuty = (organizationId: string) =>
      db.notifications.createChannel({
        organizationId,
        name: 'on call',
        kind: 'PAGERDUTY',
        routingKey: ROUTING_KEY,
      });
    async function device(organizationId: string) {
      await db.devices.ensureOrganization(organizationId, organizationId);
      const created = await db.devices.createDevice(
        {
          organizationId,
          externalId: `ext-${uniqueSuffix()}`,
          name: 'Boiler 7',
          type: 'boiler',
          labels: { site: 'north' },
        },
        `hash-${uniqueSuffix()}`,
      );
      return created.id;
    }
    const rule = (organizationId: string, channelIds: string[]) =>
      db.alerts.createRule({
        organizationId,
        name: 'Too hot',
        metric: 'temperature',
        condition: 'GT',
        threshold: 30,
        channelIds,
      });
    const episode = (
      ruleId: string,
      deviceId: string,
      startedAt: number,
      overrides: Partial<EpisodeWrite> = {},
    ): EpisodeWrite => ({
      id: episodeId(ruleId, deviceId, startedAt),
      ruleId,
      deviceId,
      startedAt,
      endedAt: null,
      startValue: 31,
      peakValue: 31,
      endValue: null,
      rule: TOO_HOT_RULE,
      ...overrides,
    });
    /** Claims far ahead (everything written is due), keeping the organization's. */
    async function claim(organizationId: string, now = Date.now() + 1_000) {
      const claimed = await db.notifications.claimDeliveries(now, 10_000, LEASE);
      return claimed.filter((delivery) => delivery.organizationId === organizationId);
    }
    const delivered = (delivery: ClaimedDelivery) =>
      db.notifications.recordAttempt(
        delivery.id,
        { at: Date.now(), statusCode: 200, latencyMs: 12, error: null },
        { delivery: 'DELIVERED' },
      );

    it('keeps channels per organization, and never reads a secret back', async () => {
      const organizationId = organization();
      const hook = await webhook(organizationId);
      const page = await pagerDuty(organizationId);
      expect(hook).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        organizationId,
        name: 'ops webhook',
        kind: 'WEBHOOK',
        url: 'https://hooks.example.com/a',
        enabled: true,
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      });
      expect(page).not.toHaveProperty('routingKey');
      expect(await db.notifications.listChannels(organizationId)).toEqual([hook, page]);
      const updated = await db.notifications.updateChannel(organizationId, hook.id, {
        name: 'renamed',
        enabled: false,
        url: 'https://hooks.example.com/b',
      });
      expect(updated).toMatchObject({
        name: 'renamed',
        enabled: false,
        url: 'https://hooks.example.com/b',
      });

      const stranger = organization();
      expect(await db.notifications.findChannels(stranger, [hook.id])).toEqual([]);
      expect(await db.notifications.updateChannel(stranger, hook.id, { name: 'x' })).toBeNull();
      expect(await db.notifications.deleteChannel(stranger, hook.id)).toBe(false);
      expect(await db.notifications.findChannels(organizationId, [hook.id, 'not-a-uuid'])).toEqual([
        updated,
      ]);
      expect(await db.notifications.deleteChannel(organizationId, hook.id)).toBe(true);
      expect(await db.notifications.listChannels(organizationId)).toEqual([page]);
    });

    it("routes a rule to its organization's channels only, and a patch replaces the routes", async () => {
      const organizationId = organization();
      const [a, b] = [await webhook(organizationId), await pagerDuty(organizationId)];
      const foreign = await webhook(organization());
      const r = await rule(organizationId, [a.id, foreign.id]);
      const routes = () => db.notifications.channelIdsOfRules(organizationId, [r.id]);
      expect(await routes()).toEqual(new Map([[r.id, [a.id]]]));
      await db.alerts.updateRule(organizationId, r.id, { channelIds: [b.id] });
      expect(await routes()).toEqual(new Map([[r.id, [b.id]]]));
      await db.alerts.updateRule(organizationId, r.id, { name: 'kept routes' });
      expect(await routes()).toEqual(new Map([[r.id, [b.id]]]));
      await db.notifications.deleteChannel(organizationId, b.id);
      expect(await routes()).toEqual(new Map([[r.id, []]]));
    });

    it("writes FIRING and RESOLVED with the episode's change, once per enabled channel, however often the change is written", async () => {
      const organizationId = organization();
      const [hook, page] = [await webhook(organizationId), await pagerDuty(organizationId)];
      const off = await webhook(organizationId);
      await db.notifications.updateChannel(organizationId, off.id, { enabled: false });
      const d = await device(organizationId);
      const r = await rule(organizationId, [hook.id, page.id, off.id]);
      const start = Date.UTC(2026, 0, 1, 12);
      const opened = episode(r.id, d, start);
      await db.alerts.saveStates(organizationId, [], [opened]);
      // A redelivered batch, then a moved peak: the same change, nothing more to send.
      await db.alerts.saveStates(organizationId, [], [opened]);
      await db.alerts.saveStates(organizationId, [], [{ ...opened, peakValue: 45 }]);

      const firing = await claim(organizationId);
      expect(firing.map((delivery) => [delivery.event, delivery.channelId]).sort()).toEqual(
        [
          ['FIRING', hook.id],
          ['FIRING', page.id],
        ].sort(),
      );
      const toHook = firing.find((delivery) => delivery.channelId === hook.id)!;
      expect(toHook).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        organizationId,
        channelId: hook.id,
        episodeId: opened.id,
        event: 'FIRING',
        target: { kind: 'WEBHOOK', url: 'https://hooks.example.com/a', signingSecret: SECRET },
        channelEnabled: true,
        createdAt: expect.any(Number),
        attemptCount: 0,
        message: {
          type: 'alert.firing',
          timestamp: '2026-01-01T12:00:00.000Z',
          data: {
            organizationId,
            episodeId: opened.id,
            status: 'FIRING',
            rule: { ...opened.rule, id: r.id },
            device: { id: d, name: 'Boiler 7', type: 'boiler', labels: { site: 'north' } },
            startedAt: '2026-01-01T12:00:00.000Z',
            endedAt: null,
            startValue: 31,
            peakValue: 31,
            endValue: null,
          },
        },
      });
      expect(firing.find((delivery) => delivery.channelId === page.id)!.target).toEqual({
        kind: 'PAGERDUTY',
        routingKey: ROUTING_KEY,
      });

      await db.alerts.saveStates(
        organizationId,
        [],
        [{ ...opened, peakValue: 45, endedAt: start + 60_000, endValue: 20 }],
      );
      // Each RESOLVED waits for its channel's FIRING (still leased, being sent) to go first.
      expect(await claim(organizationId)).toEqual([]);
      for (const delivery of firing) await delivered(delivery);
      const resolved = await claim(organizationId);
      expect(resolved.map((delivery) => delivery.event)).toEqual(['RESOLVED', 'RESOLVED']);
      expect(resolved[0]!.message).toMatchObject({
        type: 'alert.resolved',
        timestamp: '2026-01-01T12:01:00.000Z',
        data: { status: 'OK', peakValue: 45, endValue: 20, endedAt: '2026-01-01T12:01:00.000Z' },
      });
      // The webhook-id is derived, not random: another write of the end adds nothing.
      await db.alerts.saveStates(
        organizationId,
        [],
        [{ ...opened, peakValue: 45, endedAt: start + 60_000, endValue: 20 }],
      );
      const all = await db.notifications.listDeliveries(organizationId, { limit: 100 });
      expect(all).toHaveLength(4);
    });

    it('NO_DATA: the claimed silence and the touch that ends it write their messages', async () => {
      const organizationId = organization();
      const hook = await webhook(organizationId);
      const d = await device(organizationId);
      const silence = await db.alerts.createRule({
        organizationId,
        name: 'Quiet',
        kind: 'NO_DATA',
        metric: null,
        forDurationMs: 60_000,
        channelIds: [hook.id],
      });
      const t0 = Date.UTC(2026, 0, 1);
      const touch = (receivedAt: number) => ({
        ruleId: silence.id,
        deviceId: d,
        receivedAt,
        durationMs: 60_000,
      });
      await db.alerts.touchSilences(organizationId, [touch(t0)]);
      await db.alerts.claimSilences(t0 + 100_000, 10_000);
      const [fired] = await claim(organizationId);
      expect(fired).toMatchObject({
        event: 'FIRING',
        message: { type: 'alert.firing', data: { startValue: 60, rule: { kind: 'NO_DATA' } } },
      });
      await delivered(fired!);
      await db.alerts.touchSilences(organizationId, [touch(t0 + 200_000)]);
      const [ended] = await claim(organizationId);
      expect(ended).toMatchObject({
        event: 'RESOLVED',
        message: { type: 'alert.resolved', data: { status: 'OK', endValue: 200 } },
      });
    });

    it('leases a claim: not claimed again until the lease ends, then claimed with its attempts counted', async () => {
      const organizationId = organization();
      const hook = await webhook(organizationId);
      const d = await device(organizationId);
      const r = await rule(organizationId, [hook.id]);
      await db.alerts.saveStates(organizationId, [], [episode(r.id, d, 1_000)]);
      const now = Date.now() + 1_000;
      const [first] = await claim(organizationId, now);
      expect(await claim(organizationId, now + LEASE - 1)).toEqual([]);
      // Its claimer died mid-send: another claims it once the lease is over.
      const [again] = await claim(organizationId, now + LEASE);
      expect(again!.id).toBe(first!.id);

      const retryAt = now + LEASE + 60_000;
      await db.notifications.recordAttempt(
        again!.id,
        { at: now + LEASE, statusCode: 503, latencyMs: 40, error: 'HTTP 503: busy' },
        { delivery: 'RETRY', at: retryAt },
      );
      expect(await claim(organizationId, retryAt - 1)).toEqual([]);
      const [third] = await claim(organizationId, retryAt);
      expect(third).toMatchObject({ id: first!.id, attemptCount: 1 });
      await db.notifications.recordAttempt(
        third!.id,
        { at: retryAt, statusCode: null, latencyMs: 10_000, error: 'no response within 10000 ms' },
        { delivery: 'FAILED' },
      );
      const [listed] = await db.notifications.listDeliveries(organizationId, { limit: 10 });
      expect(listed).toMatchObject({
        id: first!.id,
        status: 'FAILED',
        nextAttemptAt: null,
        finishedAt: retryAt,
        attempts: [
          { at: now + LEASE, statusCode: 503, latencyMs: 40, error: 'HTTP 503: busy' },
          {
            at: retryAt,
            statusCode: null,
            latencyMs: 10_000,
            error: 'no response within 10000 ms',
          },
        ],
      });
      expect(await claim(organizationId, retryAt + 86_400_000)).toEqual([]);
    });

    it('deletes the deliveries finished before a cutoff with their attempts, never a pending one', async () => {
      const organizationId = organization();
      const hook = await webhook(organizationId);
      const d = await device(organizationId);
      const r = await rule(organizationId, [hook.id]);
      await db.alerts.saveStates(
        organizationId,
        [],
        [1_000, 2_000, 3_000, 4_000].map((startedAt) => episode(r.id, d, startedAt)),
      );
      const now = Date.now();
      const DAY = 86_400_000;
      const [old, failedOld, recent] = await claim(organizationId);
      // Finished 40 days ago (delivered, and given up), and 1 day ago; the fourth still pending.
      await db.notifications.recordAttempt(
        old!.id,
        { at: now - 40 * DAY, statusCode: 200, latencyMs: 5, error: null },
        { delivery: 'DELIVERED' },
      );
      await db.notifications.recordAttempt(
        failedOld!.id,
        { at: now - 40 * DAY, statusCode: 410, latencyMs: 5, error: 'HTTP 410: gone' },
        { delivery: 'FAILED' },
      );
      await db.notifications.recordAttempt(
        recent!.id,
        { at: now - DAY, statusCode: 200, latencyMs: 5, error: null },
        { delivery: 'DELIVERED' },
      );
      const before = await db.notifications.listDeliveries(organizationId, { limit: 10 });
      const pending = before.find((delivery) => delivery.status === 'PENDING');

      expect(await db.notifications.deleteFinishedBefore(now - 30 * DAY)).toBeGreaterThanOrEqual(2);
      const after = await db.notifications.listDeliveries(organizationId, { limit: 10 });
      expect(after.map((delivery) => delivery.id).sort()).toEqual([recent!.id, pending!.id].sort());
      expect(after.find((delivery) => delivery.id === recent!.id)?.attempts).toHaveLength(1);
      // The deleted deliveries' attempts went with them: another round finds nothing to delete.
      expect(await db.notifications.deleteFinishedBefore(now - 30 * DAY)).toBe(0);
    });

    it('gives each delivery to one of two claimers at once', async () => {
      const organizationId = organization();
      const hook = await webhook(organizationId);
      const d = await device(organizationId);
      const r = await rule(organizationId, [hook.id]);
      await db.alerts.saveStates(
        organizationId,
        [],
        Array.from({ length: 20 }, (_, i) => episode(r.id, d, 1_000 + i)),
      );
      const now = Date.now() + 1_000;
      const [a, b] = await Promise.all([claim(organizationId, now), claim(organizationId, now)]);
      const ids = [...a!, ...b!].map((delivery) => delivery.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(20);
    });

    it('lists deliveries newest first, filtered and paged, and only its own', async () => {
      const organizationId = organization();
      const [hook, page] = [await webhook(organizationId), await pagerDuty(organizationId)];
      const d = await device(organizationId);
      const r = await rule(organizationId, [hook.id, page.id]);
      for (const start of [1_000, 2_000, 3_000]) {
        await db.alerts.saveStates(organizationId, [], [episode(r.id, d, start)]);
      }
      const all = await db.notifications.listDeliveries(organizationId, { limit: 100 });
      expect(all).toHaveLength(6);
      const order = all.map((delivery) => [delivery.createdAt, delivery.id]);
      expect(order).toEqual(
        [...order].sort((x, y) => (y[0]! > x[0]! || (y[0] === x[0] && y[1]! > x[1]!) ? 1 : -1)),
      );
      const toPage = await db.notifications.listDeliveries(organizationId, {
        limit: 100,
        channelId: page.id,
      });
      expect(toPage.map((delivery) => delivery.channelId)).toEqual([page.id, page.id, page.id]);
      const firstTwo = all.slice(0, 2);
      const rest = await db.notifications.listDeliveries(organizationId, {
        limit: 100,
        after: { createdAt: firstTwo[1]!.createdAt, id: firstTwo[1]!.id },
      });
      expect(rest).toEqual(all.slice(2));
      expect(
        await db.notifications.listDeliveries(organizationId, { limit: 100, status: 'DELIVERED' }),
      ).toEqual([]);
      expect(await db.notifications.listDeliveries(organization(), { limit: 100 })).toEqual([]);
    });
  });
}
