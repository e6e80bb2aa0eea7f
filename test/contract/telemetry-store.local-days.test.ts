/**
 * Local-time buckets on both stores: a range in a time zone is asked as runs of equal buckets
 * (src/domain/local-buckets.ts), each with its own origin. Over Berlin's two daylight-saving days
 * and a half-hour zone's hours, each store's answers must equal the points grouped by their
 * local calendar day or hour, worked out here with Intl (not with the code under test).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBuckets } from '../../src/domain/local-buckets.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import { correctlyRoundedSum } from '../support/reference-aggregates.js';
import { describeOnBothStores, type OpenedStore } from './store-fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ORG = 'org-local-days';
const DEVICE = 'device-local-days';

/** A point every 20 minutes over each stretch, values that do not sum exactly in doubles. */
const STRETCHES = [
  [Date.UTC(2026, 2, 27), Date.UTC(2026, 2, 31)],
  [Date.UTC(2026, 9, 23), Date.UTC(2026, 9, 27)],
] as const;
const points: TelemetryPoint[] = STRETCHES.flatMap(([from, to]) =>
  Array.from({ length: (to - from) / (HOUR / 3) }, (_, i) => ({
    orgId: ORG,
    deviceId: DEVICE,
    ts: from + (i * HOUR) / 3,
    metrics: { energy: 0.1 * ((i % 7) + 1) },
  })),
);

/** The local wall-clock parts of an instant in a zone. */
function localParts(ts: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(ts));
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    hour: part('hour'),
    minute: part('minute'),
  };
}

/** Per local day (or local hour), the sum and count of the points in [from, to). */
function expectedByLocal(from: number, to: number, timeZone: string, unit: 'day' | 'hour') {
  const groups = new Map<string, number[]>();
  for (const point of points) {
    if (point.ts < from || point.ts >= to) continue;
    const local = localParts(point.ts, timeZone);
    const key = unit === 'day' ? local.date : `${local.date}T${local.hour}`;
    groups.set(key, [...(groups.get(key) ?? []), point.metrics.energy as number]);
  }
  return [...groups.entries()].map(([key, values]) => ({
    key,
    sum: correctlyRoundedSum(values),
    count: values.length,
  }));
}

/** The store's answer for the range in the zone, each bucket named by its local day or hour. */
async function askByLocal(
  store: TelemetryStore,
  range: { from: number; to: number },
  every: number,
  timeZone: string,
) {
  const { runs } = localBuckets(range, every, timeZone, 1_000)!;
  const answers = await Promise.all(
    runs.map((run) =>
      store.aggregateDevices({
        orgId: ORG,
        deviceIds: [DEVICE],
        metrics: ['energy'],
        ...run,
        aggregates: ['sum', 'count'],
      }),
    ),
  );
  return answers.flatMap((answer) =>
    (answer.get(DEVICE) ?? []).map((bucket) => {
      const local = localParts(bucket.start, timeZone);
      return {
        // A local day's bucket starts at its midnight; an hour's at its :00 local.
        start: every >= DAY ? `${local.hour}:${local.minute}` : `${local.minute}`,
        key: every >= DAY ? local.date : `${local.date}T${local.hour}`,
        sum: bucket.values.energy!.sum,
        count: bucket.values.energy!.count,
      };
    }),
  );
}

function describeLocalDays(name: string, open: () => Promise<OpenedStore>) {
  describe(`local-time buckets: ${name}`, () => {
    let opened: Awaited<ReturnType<typeof open>>;
    beforeAll(async () => {
      opened = await open();
      expect(await opened.store.write(points)).toEqual({ rejected: [] });
    });
    afterAll(() => opened?.close());

    it.each([
      ['March', STRETCHES[0]],
      ['October', STRETCHES[1]],
    ])('groups Berlin days across the %s change as the local calendar does', async (_, stretch) => {
      const range = { from: stretch[0], to: stretch[1] };
      const answer = await askByLocal(opened.store, range, DAY, 'Europe/Berlin');
      expect(answer.map(({ key, sum, count }) => ({ key, sum, count }))).toEqual(
        expectedByLocal(range.from, range.to, 'Europe/Berlin', 'day'),
      );
      // Every bucket starts at local midnight (the first one before `from`, where its day begins).
      expect(new Set(answer.map((bucket) => bucket.start))).toEqual(new Set(['00:00']));
    });

    it('groups Asia/Kolkata hours, which start at :30 UTC', async () => {
      const range = { from: STRETCHES[0][0] + 7 * HOUR, to: STRETCHES[0][0] + 31 * HOUR };
      const answer = await askByLocal(opened.store, range, HOUR, 'Asia/Kolkata');
      expect(answer.map(({ key, sum, count }) => ({ key, sum, count }))).toEqual(
        expectedByLocal(range.from, range.to, 'Asia/Kolkata', 'hour'),
      );
      expect(new Set(answer.map((bucket) => bucket.start))).toEqual(new Set(['00']));
    });
  });
}

describeOnBothStores(describeLocalDays);
