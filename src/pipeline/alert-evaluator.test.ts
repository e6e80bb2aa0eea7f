import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteDatabase } from '../adapters/prisma/pglite.js';
import type { MetadataDatabase } from '../ports/database.js';
import type { AlertEvent } from '../domain/alerts.js';
import type { MetricValue, TelemetryPoint } from '../domain/telemetry.js';
import type { NewAlertRule } from '../ports/alert-repository.js';
import { episodeId } from '../domain/alert-transitions.js';
import { createAlertEvaluator } from './alert-evaluator.js';
import { TOO_HOT_RULE } from '../../test/support/alert-fixtures.js';

// The evaluator on the real (in-memory PGlite) repositories: its reads and writes are the
// repositories' own, so what is stored is what a later batch or the API sees.
describe('alert evaluator', () => {
  let repos: MetadataDatabase;
  let organizations = 0;
  beforeAll(async () => {
    repos = await createPgliteDatabase();
  });
  afterAll(async () => {
    await repos.close();
  });

  async function setUp(rule: Partial<NewAlertRule> = {}, device = { type: 'boiler', labels: {} }) {
    const organizationId = `org-${++organizations}`;
    await repos.devices.ensureOrganization(organizationId, organizationId);
    const created = await repos.devices.createDevice(
      { organizationId, externalId: 'boiler-1', name: 'Boiler', ...device },
      `hash-${organizationId}`,
    );
    const alertRule = await repos.alerts.createRule({
      organizationId,
      name: 'Too hot',
      metric: 'temperature',
      condition: 'GT',
      threshold: 30,
      ...rule,
    });
    const published: AlertEvent[][] = [];
    const evaluator = createAlertEvaluator({
      alerts: repos.alerts,
      devices: repos.devices,
      publish: async (events) => void published.push(events),
      ruleCacheMs: 0,
    });
    const point = (ts: number, metrics: Record<string, MetricValue>): TelemetryPoint => ({
      orgId: organizationId,
      deviceId: created.id,
      ts,
      metrics,
    });
    const statuses = () => published.flat().map((event) => `${event.status}@${event.ts}`);
    return {
      organizationId,
      deviceId: created.id,
      rule: alertRule,
      evaluator,
      point,
      published,
      statuses,
    };
  }

  it('fires when a value meets the condition and resolves when one no longer does', async () => {
    const { evaluator, point, statuses, published, rule, deviceId, organizationId } = await setUp();
    await evaluator.evaluate([point(1, { temperature: 20 })]);
    expect(statuses()).toEqual([]);
    await evaluator.evaluate([point(2, { temperature: 31 }), point(3, { temperature: 35 })]);
    await evaluator.evaluate([point(4, { temperature: 29 })]);
    expect(statuses()).toEqual(['FIRING@2', 'OK@4']);
    const episode = episodeId(rule.id, deviceId, 2);
    expect(published[0]).toEqual([
      {
        organizationId,
        ruleId: rule.id,
        deviceId,
        status: 'FIRING',
        value: 31,
        ts: 2,
        episodeId: episode,
      },
    ]);
    expect(published[1]![0]).toMatchObject({ status: 'OK', episodeId: episode });
    expect(await repos.alerts.getStates(organizationId, [{ ruleId: rule.id, deviceId }])).toEqual([
      {
        organizationId,
        ruleId: rule.id,
        deviceId,
        status: 'OK',
        since: 4,
        value: 29,
        evaluatedAt: 4,
        pendingSince: null,
        peak: null,
        window: null,
      },
    ]);
    // One episode, from 2 to 4, its peak the highest value while it fired.
    expect(await repos.alerts.listEpisodes(organizationId, { limit: 10 })).toEqual([
      {
        id: episode,
        organizationId,
        ruleId: rule.id,
        deviceId,
        startedAt: 2,
        endedAt: 4,
        startValue: 31,
        peakValue: 35,
        endValue: 29,
        rule: { ...TOO_HOT_RULE, name: rule.name },
        acknowledgement: null,
      },
    ]);
  });

  it('opens one episode however often its batch is delivered, and keeps each firing apart', async () => {
    const { evaluator, point, organizationId } = await setUp();
    const batch = [point(1, { temperature: 40 }), point(2, { temperature: 45 })];
    await evaluator.evaluate(batch);
    await evaluator.evaluate(batch);
    // Resolved and fired again within one batch: two episodes.
    await evaluator.evaluate([
      point(3, { temperature: 10 }),
      point(4, { temperature: 50 }),
      point(5, { temperature: 41 }),
    ]);
    const episodes = await repos.alerts.listEpisodes(organizationId, { limit: 10 });
    expect(
      episodes.map(({ startedAt, endedAt, peakValue }) => ({ startedAt, endedAt, peakValue })),
    ).toEqual([
      { startedAt: 4, endedAt: null, peakValue: 50 },
      { startedAt: 1, endedAt: 3, peakValue: 45 },
    ]);
  });

  it('waits out forDuration and clears at the clear threshold', async () => {
    const { evaluator, point, statuses, rule, organizationId, deviceId } = await setUp();
    await repos.alerts.updateRule(organizationId, rule.id, {
      forDurationMs: 2_000,
      clearThreshold: 25,
    });
    const values = [31, 32, 33, 28, 27, 20, 20, 20];
    for (const [i, temperature] of values.entries()) {
      await evaluator.evaluate([point(i * 1_000, { temperature })]);
    }
    // Met from 0 s: FIRING at 2 s; 28 and 27 are above the clear threshold (still firing);
    // at or below 25 from 5 s: OK at 7 s.
    expect(statuses()).toEqual(['FIRING@2000', 'OK@7000']);
    const [state] = await repos.alerts.getStates(organizationId, [{ ruleId: rule.id, deviceId }]);
    expect(state).toMatchObject({ status: 'OK', since: 7_000 });
  });

  it('takes a batch in time order, whatever order its points came in', async () => {
    const { evaluator, point, statuses } = await setUp();
    await evaluator.evaluate([
      point(30, { temperature: 10 }),
      point(10, { temperature: 40 }),
      point(20, { temperature: 10 }),
    ]);
    expect(statuses()).toEqual(['FIRING@10', 'OK@20']);
  });

  it('raises nothing twice for a redelivered batch, and ignores points older than the newest', async () => {
    const { evaluator, point, statuses } = await setUp();
    const batch = [point(100, { temperature: 50 })];
    await evaluator.evaluate(batch);
    await evaluator.evaluate(batch);
    await evaluator.evaluate([point(50, { temperature: 0 })]);
    expect(statuses()).toEqual(['FIRING@100']);
  });

  it('ignores points without the metric, and devices outside the rule', async () => {
    const typed = await setUp({ deviceType: 'fridge' });
    await typed.evaluator.evaluate([typed.point(1, { temperature: 99 })]);
    expect(typed.statuses()).toEqual([]);

    const labelled = await setUp(
      { deviceLabels: { site: 'north' } },
      { type: 'boiler', labels: { site: 'north', floor: '1' } },
    );
    await labelled.evaluator.evaluate([
      labelled.point(1, { humidity: 99 }),
      labelled.point(2, { temperature: 99 }),
    ]);
    expect(labelled.statuses()).toEqual(['FIRING@2']);
  });

  it('compares booleans and strings for EQ and NEQ, and only numbers for ordering', async () => {
    const door = await setUp({ metric: 'door_open', condition: 'EQ', threshold: true });
    await door.evaluator.evaluate([
      door.point(1, { door_open: false }),
      door.point(2, { door_open: true }),
      door.point(3, { door_open: 'true' }),
    ]);
    expect(door.statuses()).toEqual(['FIRING@2', 'OK@3']);

    const mode = await setUp({ metric: 'mode', condition: 'NEQ', threshold: 'auto' });
    await mode.evaluator.evaluate([
      mode.point(1, { mode: 'auto' }),
      mode.point(2, { mode: 'manual' }),
    ]);
    expect(mode.statuses()).toEqual(['FIRING@2']);

    const ordered = await setUp({ condition: 'LT', threshold: 5 });
    await ordered.evaluator.evaluate([ordered.point(1, { temperature: 'cold' })]);
    expect(ordered.statuses()).toEqual([]);
  });

  it("never evaluates a point against another organization's rules", async () => {
    const a = await setUp();
    const b = await setUp();
    const foreign = { ...b.point(1, { temperature: 99 }), orgId: a.organizationId };
    await a.evaluator.evaluate([foreign]);
    expect(a.statuses()).toEqual([]);
    expect(await repos.alerts.listStates(a.organizationId, { limit: 10 })).toEqual([]);
  });

  it('sees a rule created after its first batch when rules are not cached', async () => {
    const { evaluator, point, statuses, organizationId } = await setUp();
    await evaluator.evaluate([point(1, { humidity: 99 })]);
    await repos.alerts.createRule({
      organizationId,
      name: 'Too humid',
      metric: 'humidity',
      condition: 'GT',
      threshold: 90,
    });
    await evaluator.evaluate([point(2, { humidity: 99 })]);
    expect(statuses()).toEqual(['FIRING@2']);
  });

  it('reads rules once per cache period, not once per batch', async () => {
    const { point } = await setUp();
    let reads = 0;
    const counting = {
      ...repos.alerts,
      listRules: (id: string, options?: { enabledOnly?: boolean }) => {
        reads++;
        return repos.alerts.listRules(id, options);
      },
    };
    const evaluator = createAlertEvaluator({
      alerts: counting,
      devices: repos.devices,
      publish: async () => undefined,
      ruleCacheMs: 60_000,
    });
    for (let ts = 1; ts <= 5; ts++) await evaluator.evaluate([point(ts, { temperature: ts })]);
    expect(reads).toBe(1);
  });

  it('evaluates nothing for a disabled rule', async () => {
    const { evaluator, point, statuses, rule, organizationId } = await setUp();
    await repos.alerts.updateRule(organizationId, rule.id, { enabled: false });
    await evaluator.evaluate([point(1, { temperature: 99 })]);
    expect(statuses()).toEqual([]);
  });
});
