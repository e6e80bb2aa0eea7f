/**
 * One contract for every AlertRepository adapter. Each test works in organizations of its own, so
 * the adapters under test can share one database per file.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertState } from '../../src/domain/alerts.js';
import { episodeId } from '../../src/domain/alert-transitions.js';
import type {
  AlertRepository,
  EpisodeWrite,
  NewAlertRule,
  SilenceChange,
} from '../../src/ports/alert-repository.js';
import { InputRefusedError } from '../../src/ports/input-refused.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { uniqueSuffix } from '../support/services.js';

/** `open` gives every repository of one database: states refer to the same database's devices. */
export function describeAlertRepositoryContract(
  name: string,
  open: () => Promise<MetadataDatabase>,
) {
  describe(`AlertRepository contract: ${name}`, () => {
    let opened: MetadataDatabase;
    let repo: AlertRepository;
    beforeAll(async () => {
      opened = await open();
      repo = opened.alerts;
    });
    afterAll(async () => {
      await opened?.close();
    });

    const organization = () => `org-${uniqueSuffix()}`;
    const rule = (organizationId: string, overrides: Partial<NewAlertRule> = {}) =>
      repo.createRule({
        organizationId,
        name: 'Too hot',
        metric: 'temperature',
        condition: 'GT',
        threshold: 30,
        ...overrides,
      });
    async function device(organizationId: string) {
      await opened.devices.ensureOrganization(organizationId, organizationId);
      const created = await opened.devices.createDevice(
        { organizationId, externalId: `ext-${uniqueSuffix()}`, name: 'Boiler', type: 'boiler' },
        `hash-${uniqueSuffix()}`,
      );
      return created.id;
    }
    const state = (
      organizationId: string,
      ruleId: string,
      deviceId: string,
      overrides: Partial<AlertState> = {},
    ): AlertState => ({
      organizationId,
      ruleId,
      deviceId,
      status: 'FIRING',
      since: Date.UTC(2026, 0, 1, 12),
      value: 31.5,
      evaluatedAt: Date.UTC(2026, 0, 1, 12),
      pendingSince: null,
      peak: 31.5,
      window: null,
      ...overrides,
    });

    it('creates a rule in an organization it has never seen, with every field kept', async () => {
      const organizationId = organization();
      const created = await rule(organizationId, {
        name: 'Door left open',
        kind: 'THRESHOLD',
        metric: 'door_open',
        condition: 'EQ',
        threshold: true,
        deviceType: 'fridge',
        deviceLabels: { site: 'north', floor: '2' },
      });
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        organizationId,
        name: 'Door left open',
        kind: 'THRESHOLD',
        metric: 'door_open',
        condition: 'EQ',
        threshold: true,
        deviceType: 'fridge',
        deviceLabels: { site: 'north', floor: '2' },
        forDurationMs: 0,
        clearThreshold: null,
        windowPoints: null,
        enabled: true,
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      });
      expect(await repo.listRules(organizationId)).toEqual([created]);
    });

    it('keeps number, boolean and string thresholds with their types', async () => {
      const organizationId = organization();
      await rule(organizationId, { threshold: 21.5 });
      await rule(organizationId, { condition: 'EQ', threshold: false });
      await rule(organizationId, { condition: 'NEQ', threshold: 'idle' });
      const thresholds = (await repo.listRules(organizationId)).map((r) => r.threshold);
      expect(thresholds).toEqual([21.5, false, 'idle']);
    });

    it('keeps number thresholds exactly, to the last bit of a double, on create and update', async () => {
      const organizationId = organization();
      const exact = [1.0000000000000002, 0.1 + 0.2, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324];
      const created = [];
      for (const threshold of exact) created.push(await rule(organizationId, { threshold }));
      expect(created.map((r) => r.threshold)).toEqual(exact);
      expect((await repo.listRules(organizationId)).map((r) => r.threshold)).toEqual(exact);
      const updated = await repo.updateRule(organizationId, created[0]!.id, {
        threshold: 1.2345678901234567e300,
      });
      expect(updated?.threshold).toBe(1.2345678901234567e300);
      const [found] = await repo.findRules(organizationId, [created[0]!.id]);
      expect(found?.threshold).toBe(1.2345678901234567e300);
    });

    it('lists rules oldest first, and only enabled ones when asked', async () => {
      const organizationId = organization();
      const first = await rule(organizationId, { name: 'first' });
      const second = await rule(organizationId, { name: 'second', enabled: false });
      const third = await rule(organizationId, { name: 'third' });
      expect((await repo.listRules(organizationId)).map((r) => r.id)).toEqual([
        first.id,
        second.id,
        third.id,
      ]);
      expect(
        (await repo.listRules(organizationId, { enabledOnly: true })).map((r) => r.id),
      ).toEqual([first.id, third.id]);
    });

    it('updates only the fields given', async () => {
      const organizationId = organization();
      const created = await rule(organizationId, { deviceLabels: { site: 'north' } });
      const updated = await repo.updateRule(organizationId, created.id, {
        threshold: 35,
        deviceType: 'boiler',
      });
      expect(updated).toEqual({
        ...created,
        threshold: 35,
        deviceType: 'boiler',
        updatedAt: expect.any(Date),
      });
      expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
      const cleared = await repo.updateRule(organizationId, created.id, {
        deviceType: null,
        deviceLabels: {},
      });
      expect(cleared).toMatchObject({ deviceType: null, deviceLabels: {}, threshold: 35 });
    });

    it("treats another organization's rule exactly like a missing one", async () => {
      const owner = organization();
      const other = organization();
      const created = await rule(owner);
      expect(await repo.updateRule(other, created.id, { name: 'stolen' })).toBeNull();
      expect(await repo.deleteRule(other, created.id)).toBe(false);
      expect(await repo.findRules(other, [created.id])).toEqual([]);
      expect(await repo.listRules(other)).toEqual([]);
      expect(await repo.updateRule(other, randomUUID(), { name: 'x' })).toBeNull();
      expect(await repo.updateRule(other, 'not-a-uuid', { name: 'x' })).toBeNull();
      expect(await repo.deleteRule(other, 'not-a-uuid')).toBe(false);
      expect(await repo.findRules(owner, [created.id])).toEqual([created]);
    });

    it('finds rules by id in one call, ignoring unknown and malformed ids', async () => {
      const organizationId = organization();
      const a = await rule(organizationId, { name: 'a' });
      const b = await rule(organizationId, { name: 'b' });
      const found = await repo.findRules(organizationId, [
        b.id,
        randomUUID(),
        'nope',
        a.id.toUpperCase(),
      ]);
      expect(found.map((r) => r.name).sort()).toEqual(['a', 'b']);
    });

    it('saves states and reads them back by (rule, device)', async () => {
      const organizationId = organization();
      const r = await rule(organizationId);
      const [d1, d2] = [await device(organizationId), await device(organizationId)];
      const firing = state(organizationId, r.id, d1);
      const ok = state(organizationId, r.id, d2, { status: 'OK', value: 'quiet', since: 1_000 });
      await repo.saveStates(organizationId, [firing, ok]);
      const read = await repo.getStates(organizationId, [
        { ruleId: r.id, deviceId: d1 },
        { ruleId: r.id, deviceId: d2 },
        { ruleId: r.id, deviceId: randomUUID() },
      ]);
      expect(read.sort((a, b) => a.since - b.since)).toEqual([ok, firing]);
    });

    it('refuses a value the database cannot keep as bad input (InputRefusedError), not as an outage', async () => {
      const organizationId = organization();
      const deviceId = await device(organizationId);
      const { id } = await rule(organizationId, { condition: 'NEQ', threshold: 'auto' });
      // PostgreSQL refuses a NUL in JSON (22P05): retrying can never succeed.
      await expect(
        repo.saveStates(organizationId, [
          state(organizationId, id, deviceId, { value: 'a\u0000b' }),
        ]),
      ).rejects.toBeInstanceOf(InputRefusedError);
      expect(await repo.getStates(organizationId, [{ ruleId: id, deviceId }])).toEqual([]);
    });

    it('moves a state forward in time only', async () => {
      const organizationId = organization();
      const r = await rule(organizationId);
      const d = await device(organizationId);
      const newer = state(organizationId, r.id, d, { evaluatedAt: 5_000, since: 5_000 });
      await repo.saveStates(organizationId, [newer]);
      await repo.saveStates(organizationId, [
        state(organizationId, r.id, d, { status: 'OK', evaluatedAt: 4_000, since: 4_000 }),
      ]);
      expect(await repo.getStates(organizationId, [{ ruleId: r.id, deviceId: d }])).toEqual([
        newer,
      ]);
      const newest = state(organizationId, r.id, d, { status: 'OK', evaluatedAt: 6_000 });
      await repo.saveStates(organizationId, [newest]);
      expect(await repo.getStates(organizationId, [{ ruleId: r.id, deviceId: d }])).toEqual([
        newest,
      ]);
    });

    it("ignores states for another organization's rule or device, and never shows them", async () => {
      const owner = organization();
      const other = organization();
      const ownRule = await rule(owner);
      const ownDevice = await device(owner);
      const foreignRule = await rule(other);
      const foreignDevice = await device(other);
      await repo.saveStates(owner, [
        state(owner, foreignRule.id, ownDevice),
        state(owner, ownRule.id, foreignDevice),
      ]);
      expect(await repo.listStates(owner, { limit: 10 })).toEqual([]);
      expect(await repo.listStates(other, { limit: 10 })).toEqual([]);
      await repo.saveStates(owner, [state(owner, ownRule.id, ownDevice)]);
      expect(await repo.getStates(other, [{ ruleId: ownRule.id, deviceId: ownDevice }])).toEqual(
        [],
      );
      expect(await repo.listStates(other, { limit: 10 })).toEqual([]);
    });

    it('lists states newest first, filtered by status, rule and device, within the limit', async () => {
      const organizationId = organization();
      const hot = await rule(organizationId, { name: 'hot' });
      const cold = await rule(organizationId, { name: 'cold', condition: 'LT', threshold: 5 });
      const [d1, d2] = [await device(organizationId), await device(organizationId)];
      await repo.saveStates(organizationId, [
        state(organizationId, hot.id, d1, { since: 1_000, evaluatedAt: 1_000 }),
        state(organizationId, hot.id, d2, { status: 'OK', since: 2_000, evaluatedAt: 2_000 }),
        state(organizationId, cold.id, d1, { since: 3_000, evaluatedAt: 3_000 }),
      ]);
      const key = (s: AlertState) =>
        `${s.ruleId === hot.id ? 'hot' : 'cold'}:${s.deviceId === d1 ? 1 : 2}`;
      expect((await repo.listStates(organizationId, { limit: 10 })).map(key)).toEqual([
        'cold:1',
        'hot:2',
        'hot:1',
      ]);
      const firing = await repo.listStates(organizationId, { status: 'FIRING', limit: 10 });
      expect(firing.map(key)).toEqual(['cold:1', 'hot:1']);
      expect(
        (await repo.listStates(organizationId, { ruleId: hot.id, limit: 10 })).map(key),
      ).toEqual(['hot:2', 'hot:1']);
      expect((await repo.listStates(organizationId, { deviceId: d1, limit: 10 })).map(key)).toEqual(
        ['cold:1', 'hot:1'],
      );
      expect((await repo.listStates(organizationId, { limit: 1 })).map(key)).toEqual(['cold:1']);
    });

    it('disabling a rule clears its states; deleting removes rule and states', async () => {
      const organizationId = organization();
      const r = await rule(organizationId);
      const d = await device(organizationId);
      await repo.saveStates(organizationId, [state(organizationId, r.id, d)]);
      await repo.updateRule(organizationId, r.id, { enabled: false });
      expect(await repo.getStates(organizationId, [{ ruleId: r.id, deviceId: d }])).toEqual([]);

      await repo.updateRule(organizationId, r.id, { enabled: true });
      await repo.saveStates(organizationId, [state(organizationId, r.id, d)]);
      expect(await repo.deleteRule(organizationId, r.id)).toBe(true);
      expect(await repo.deleteRule(organizationId, r.id)).toBe(false);
      expect(await repo.listRules(organizationId)).toEqual([]);
      expect(await repo.getStates(organizationId, [{ ruleId: r.id, deviceId: d }])).toEqual([]);
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
      rule: {
        kind: 'THRESHOLD',
        name: 'Too hot',
        metric: 'temperature',
        condition: 'GT',
        threshold: 30,
        clearThreshold: 25,
        forDurationMs: 60_000,
        windowPoints: null,
      },
      ...overrides,
    });

    it('keeps the rule timing fields, exactly, and clears the clear threshold with null', async () => {
      const organizationId = organization();
      const r = await rule(organizationId, { forDurationMs: 300_000, clearThreshold: 0.1 + 0.2 });
      expect(r).toMatchObject({ forDurationMs: 300_000, clearThreshold: 0.1 + 0.2 });
      const cleared = await repo.updateRule(organizationId, r.id, { clearThreshold: null });
      expect(cleared).toMatchObject({ forDurationMs: 300_000, clearThreshold: null });
    });

    it('opens an episode once, moves its peak, ends it once and never reopens it', async () => {
      const organizationId = organization();
      const r = await rule(organizationId);
      const d = await device(organizationId);
      const firing = state(organizationId, r.id, d, { since: 1_000, evaluatedAt: 1_000 });
      await repo.saveStates(organizationId, [firing], [episode(r.id, d, 1_000)]);
      await repo.saveStates(organizationId, [], [episode(r.id, d, 1_000)]);
      await repo.saveStates(organizationId, [], [episode(r.id, d, 1_000, { peakValue: 40 })]);
      const ended = { peakValue: 40, endedAt: 5_000, endValue: 20 };
      await repo.saveStates(organizationId, [], [episode(r.id, d, 1_000, ended)]);
      // A stale write (a replica behind) cannot reopen it or move its end.
      await repo.saveStates(
        organizationId,
        [],
        [episode(r.id, d, 1_000, { endedAt: 9_000, endValue: 1 })],
      );
      const [only, ...more] = await repo.listEpisodes(organizationId, { limit: 10 });
      expect(more).toEqual([]);
      expect(only).toEqual({
        ...episode(r.id, d, 1_000, { ...ended, peakValue: 40 }),
        organizationId,
        acknowledgement: null,
      });
    });

    it('lists episodes newest first, filtered and paged, and finds and acknowledges only its own', async () => {
      const organizationId = organization();
      const r = await rule(organizationId);
      const [d1, d2] = [await device(organizationId), await device(organizationId)];
      await repo.saveStates(
        organizationId,
        [],
        [
          episode(r.id, d1, 1_000, { endedAt: 2_000, endValue: 20 }),
          episode(r.id, d1, 3_000),
          episode(r.id, d2, 2_500),
        ],
      );
      const starts = (list: { startedAt: number }[]) => list.map((e) => e.startedAt);
      expect(starts(await repo.listEpisodes(organizationId, { limit: 10 }))).toEqual([
        3_000, 2_500, 1_000,
      ]);
      expect(starts(await repo.listEpisodes(organizationId, { limit: 10, firing: true }))).toEqual([
        3_000, 2_500,
      ]);
      expect(starts(await repo.listEpisodes(organizationId, { limit: 10, firing: false }))).toEqual(
        [1_000],
      );
      expect(starts(await repo.listEpisodes(organizationId, { limit: 10, deviceId: d2 }))).toEqual([
        2_500,
      ]);
      const [first] = await repo.listEpisodes(organizationId, { limit: 1 });
      const after = { startedAt: first!.startedAt, id: first!.id };
      expect(starts(await repo.listEpisodes(organizationId, { limit: 10, after }))).toEqual([
        2_500, 1_000,
      ]);

      const other = organization();
      const id = episodeId(r.id, d1, 3_000);
      expect(await repo.findEpisodes(other, [id])).toEqual([]);
      expect(await repo.listEpisodes(other, { limit: 10 })).toEqual([]);
      expect(
        await repo.acknowledgeEpisode(other, id, { by: 'mallory', at: 1, note: null }),
      ).toBeNull();
      const acknowledged = await repo.acknowledgeEpisode(organizationId, id, {
        by: 'alice',
        at: 4_000,
        note: 'on it',
      });
      expect(acknowledged?.acknowledgement).toEqual({ by: 'alice', at: 4_000, note: 'on it' });
      expect((await repo.findEpisodes(organizationId, [id, 'not-a-uuid']))[0]).toEqual(
        acknowledged,
      );
    });

    it('lists PENDING states apart from OK and FIRING', async () => {
      const organizationId = organization();
      const r = await rule(organizationId);
      const [d1, d2, d3] = [
        await device(organizationId),
        await device(organizationId),
        await device(organizationId),
      ];
      await repo.saveStates(organizationId, [
        state(organizationId, r.id, d1),
        state(organizationId, r.id, d2, { status: 'PENDING', pendingSince: 5, peak: null }),
        state(organizationId, r.id, d3, { status: 'OK', peak: null }),
      ]);
      const devicesWith = async (status: 'OK' | 'PENDING' | 'FIRING') =>
        (await repo.listStates(organizationId, { status, limit: 10 })).map((s) => s.deviceId);
      expect(await devicesWith('FIRING')).toEqual([d1]);
      expect(await devicesWith('PENDING')).toEqual([d2]);
      expect(await devicesWith('OK')).toEqual([d3]);
      const [pending] = await repo.getStates(organizationId, [{ ruleId: r.id, deviceId: d2 }]);
      expect(pending).toMatchObject({ status: 'PENDING', pendingSince: 5 });
    });

    it('NO_DATA: fires each silence once when its deadline passed, opens its episode, and resolves it when heard from', async () => {
      const organizationId = organization();
      const silence = await rule(organizationId, {
        kind: 'NO_DATA',
        metric: null,
        condition: null,
        threshold: null,
        forDurationMs: 60_000,
      });
      const [quiet, chatty] = [await device(organizationId), await device(organizationId)];
      const t0 = Date.UTC(2026, 0, 1);
      const touch = (deviceId: string, receivedAt: number) => ({
        ruleId: silence.id,
        deviceId,
        receivedAt,
        durationMs: 60_000,
      });
      expect(
        await repo.touchSilences(organizationId, [touch(quiet, t0), touch(chatty, t0)]),
      ).toEqual([]);
      await repo.touchSilences(organizationId, [touch(chatty, t0 + 50_000)]);
      // Only the quiet device's deadline (t0 + 60 s) has passed at t0 + 100 s.
      const mine = (changes: SilenceChange[]) =>
        changes.filter((change) => change.organizationId === organizationId);
      const fired = mine(await repo.claimSilences(t0 + 100_000, 1_000));
      const id = episodeId(silence.id, quiet, t0 + 60_000);
      expect(fired).toEqual([
        {
          organizationId,
          ruleId: silence.id,
          deviceId: quiet,
          episodeId: id,
          at: t0 + 60_000,
          silentSeconds: 60,
        },
      ]);
      expect(mine(await repo.claimSilences(t0 + 100_000, 1_000))).toEqual([]);
      const [state] = await repo.getStates(organizationId, [
        { ruleId: silence.id, deviceId: quiet },
      ]);
      expect(state).toMatchObject({ status: 'FIRING', since: t0 + 60_000 });

      // Heard from at t0 + 150 s: resolved, silent 150 s; a stale touch changes nothing.
      expect(await repo.touchSilences(organizationId, [touch(quiet, t0 + 150_000)])).toEqual([
        { ...fired[0], at: t0 + 150_000, silentSeconds: 150 },
      ]);
      expect(await repo.touchSilences(organizationId, [touch(quiet, t0 + 140_000)])).toEqual([]);
      const [episode] = await repo.findEpisodes(organizationId, [id]);
      expect(episode).toMatchObject({
        startedAt: t0 + 60_000,
        endedAt: t0 + 150_000,
        startValue: 60,
        endValue: 150,
        rule: { kind: 'NO_DATA', metric: null, forDurationMs: 60_000 },
      });
      // The next silence is a new episode, from the new deadline.
      const again = mine(await repo.claimSilences(t0 + 300_000, 1_000));
      expect(again.map((change) => [change.deviceId, change.at])).toEqual([
        [chatty, t0 + 110_000],
        [quiet, t0 + 210_000],
      ]);
    });

    it('NO_DATA: a disabled rule fires nothing; a touch for a THRESHOLD rule or a foreign device is ignored', async () => {
      const organizationId = organization();
      const silence = await rule(organizationId, {
        kind: 'NO_DATA',
        metric: 'temperature',
        condition: null,
        threshold: null,
        forDurationMs: 1_000,
      });
      const threshold = await rule(organizationId);
      const d = await device(organizationId);
      const foreign = await device(organization());
      const t0 = Date.UTC(2026, 0, 2);
      await repo.touchSilences(organizationId, [
        { ruleId: silence.id, deviceId: d, receivedAt: t0, durationMs: 1_000 },
        { ruleId: threshold.id, deviceId: d, receivedAt: t0, durationMs: 1_000 },
        { ruleId: silence.id, deviceId: foreign, receivedAt: t0, durationMs: 1_000 },
      ]);
      await repo.updateRule(organizationId, silence.id, { enabled: false });
      await repo.updateRule(organizationId, silence.id, { enabled: true });
      await repo.touchSilences(organizationId, [
        { ruleId: silence.id, deviceId: d, receivedAt: t0 + 1, durationMs: 1_000 },
      ]);
      await repo.updateRule(organizationId, silence.id, { enabled: false });
      const fired = (await repo.claimSilences(t0 + 10_000, 1_000)).filter(
        (change) => change.organizationId === organizationId,
      );
      expect(fired).toEqual([]);
      expect(await repo.getStates(organizationId, [{ ruleId: threshold.id, deviceId: d }])).toEqual(
        [],
      );
    });
  });
}
