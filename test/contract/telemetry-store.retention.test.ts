/**
 * The raw retention's deletes on both stores: `deleteBefore(cutoff)` removes every organization's
 * points older than the cutoff, from raw reads, aggregates and latest values, and nothing newer;
 * `deleteBefore(cutoff, orgId)` one organization's (its own retention: domain/retention.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { describeOnBothStores, type OpenedStore } from './store-fixtures.js';

const DAY = 86_400_000;
const CUTOFF = Date.UTC(2026, 5, 10);
const ORGS = ['org-a', 'org-b'];

/** Each organization: `old` has points only before the cutoff, `both` on each side of it. */
const points: TelemetryPoint[] = ORGS.flatMap((orgId) => [
  ...[-3, -2].map((days) => ({
    orgId,
    deviceId: 'old',
    ts: CUTOFF + days * DAY,
    metrics: { v: days },
  })),
  ...[-5, -1, 0, 1, 2].map((days) => ({
    orgId,
    deviceId: 'both',
    ts: CUTOFF + days * DAY + (days === 0 ? 0 : 7),
    metrics: { v: days, mode: `m${days}` },
  })),
]);

function describeRetention(name: string, open: () => Promise<OpenedStore>) {
  describe(`deleteBefore: ${name}`, () => {
    let opened: Awaited<ReturnType<typeof open>>;
    beforeAll(async () => {
      opened = await open();
      expect(await opened.store.write(points)).toEqual({ rejected: [] });
      // A year of nothing before the oldest point, then the points: deletes cover the span.
      await opened.store.deleteBefore(CUTOFF);
    });
    afterAll(() => opened?.close());

    const everything = { metrics: [], from: 0, to: CUTOFF + 10 * DAY, limit: 100 };

    it.each(ORGS)('keeps only the points at or after the cutoff, in %s', async (orgId) => {
      const { store } = opened;
      expect(await store.raw({ ...everything, orgId, deviceId: 'old' })).toEqual([]);
      const kept = await store.raw({ ...everything, orgId, deviceId: 'both' });
      expect(kept.map((point) => point.metrics.v)).toEqual([0, 1, 2]);
      const [bucket] =
        (
          await store.aggregateDevices({
            orgId,
            deviceIds: ['old', 'both'],
            metrics: ['v'],
            from: 0,
            to: CUTOFF + 10 * DAY,
            every: 20 * 365 * DAY,
            origin: 0,
            aggregates: ['count', 'min'],
          })
        ).get('both') ?? [];
      expect(bucket?.values.v).toEqual({ count: 3, min: 0 });
      expect(await store.reportingDevices(orgId, ['old', 'both'], 0, CUTOFF)).toEqual(new Set());
    });

    it('drops latest values that only old points held, and keeps the newest', async () => {
      const latest = await opened.store.latest('org-a', ['old', 'both']);
      expect(latest.get('old') ?? []).toEqual([]);
      expect(latest.get('both')).toEqual([
        { metric: 'mode', value: 'm2', ts: CUTOFF + 2 * DAY + 7 },
        { metric: 'v', value: 2, ts: CUTOFF + 2 * DAY + 7 },
      ]);
    });

    it('is idempotent, and deletes nothing newer when run again with the same cutoff', async () => {
      await opened.store.deleteBefore(CUTOFF);
      const kept = await opened.store.raw({ ...everything, orgId: 'org-b', deviceId: 'both' });
      expect(kept).toHaveLength(3);
    });
  });
}

function describeOrganizationRetention(name: string, open: () => Promise<OpenedStore>) {
  describe(`deleteBefore of one organization: ${name}`, () => {
    let opened: OpenedStore;
    beforeAll(async () => {
      opened = await open();
      expect(await opened.store.write(points)).toEqual({ rejected: [] });
      await opened.store.deleteBefore(CUTOFF, 'org-a');
    });
    afterAll(() => opened?.close());

    const everything = { metrics: [], from: 0, to: CUTOFF + 10 * DAY, limit: 100 };

    it("deletes that organization's older points, and no other's", async () => {
      const { store } = opened;
      const ours = await store.raw({ ...everything, orgId: 'org-a', deviceId: 'both' });
      expect(ours.map((point) => point.metrics.v)).toEqual([0, 1, 2]);
      expect(await store.raw({ ...everything, orgId: 'org-a', deviceId: 'old' })).toEqual([]);
      const theirs = await store.raw({ ...everything, orgId: 'org-b', deviceId: 'both' });
      expect(theirs.map((point) => point.metrics.v)).toEqual([-5, -1, 0, 1, 2]);
      const latest = await store.latest('org-b', ['old']);
      expect(latest.get('old')).toEqual([{ metric: 'v', value: -2, ts: CUTOFF - 2 * DAY }]);
    });
  });
}

describeOnBothStores(describeOrganizationRetention);

describeOnBothStores((name, open) =>
  describeRetention(name, async () => {
    const opened = await open();
    // Latest values read before the delete are held in memory: the delete must drop them too.
    await opened.store.latest('org-a', ['old', 'both']);
    return opened;
  }),
);
