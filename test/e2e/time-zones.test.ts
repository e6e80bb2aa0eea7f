/**
 * `timeZone` on device and fleet telemetry, on the embedded app: local days across daylight
 * saving changes (23 and 25 hours in Europe/Berlin) and hours in a half-hour zone. Each point's
 * local day or hour is worked out here by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { plainGraphQL } from '../support/plain-graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

const { query, data, register, sendAndWait } = plainGraphQL(app);

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Points of `energy` (1 each) at these UTC times. */
const TIMES = [
  // Saturday 28 March 2026, Berlin (CET, +1): 23:30 local is 22:30 UTC.
  Date.UTC(2026, 2, 28, 22, 30),
  // Sunday 29 March, the 23-hour day: 00:30 CET, then 03:30 CEST (01:30 UTC), 23:30 CEST.
  Date.UTC(2026, 2, 28, 23, 30),
  Date.UTC(2026, 2, 29, 1, 30),
  Date.UTC(2026, 2, 29, 21, 30),
  // Monday 30 March, 00:30 CEST.
  Date.UTC(2026, 2, 29, 22, 30),
  // Sunday 25 October, the 25-hour day: 00:30 CEST (22:30 UTC the day before), 23:30 CET.
  Date.UTC(2026, 9, 24, 22, 30),
  Date.UTC(2026, 9, 25, 22, 30),
];

let deviceId: string;

beforeAll(async () => {
  const device = await register('tz-1', 'meter');
  deviceId = device.id;
  await sendAndWait(
    device,
    TIMES.map((ts) => ({ ts, metrics: { energy: 1 } })),
  );
});

const DEVICE_DAYS = `query ($id: ID!, $from: DateTime!, $to: DateTime!, $timeZone: String, $fill: Fill) {
  device(id: $id) {
    telemetry(metrics: ["energy"], from: $from, to: $to, every: "1d", aggregates: [SUM],
      timeZone: $timeZone, fill: $fill) { start metrics { sum } }
  }
}`;

type Buckets = { device: { telemetry: { start: string; metrics: { sum: number | null }[] }[] } };

describe('local days', () => {
  it('sums Berlin days from local midnight to local midnight, the March day 23 hours long', async () => {
    const read = await data<Buckets>(DEVICE_DAYS, {
      id: deviceId,
      from: iso(Date.UTC(2026, 2, 27, 23)),
      to: iso(Date.UTC(2026, 2, 30, 22)),
      timeZone: 'Europe/Berlin',
    });
    expect(read.device.telemetry.map(({ start, metrics }) => [start, metrics[0]!.sum])).toEqual([
      // 28 March local: 1 point; 29 March (23 h, from 23:00 UTC to 22:00 UTC): 3; 30 March: 1.
      ['2026-03-27T23:00:00.000Z', 1],
      ['2026-03-28T23:00:00.000Z', 3],
      ['2026-03-29T22:00:00.000Z', 1],
    ]);
    // The same range in UTC days cuts differently: 28 March holds the first two points.
    const utc = await data<Buckets>(DEVICE_DAYS, {
      id: deviceId,
      from: iso(Date.UTC(2026, 2, 27, 23)),
      to: iso(Date.UTC(2026, 2, 30, 22)),
    });
    expect(utc.device.telemetry.map(({ metrics }) => metrics[0]!.sum)).toEqual([2, 3]);
  });

  it('keeps the 25-hour October day whole, and fills the empty local days', async () => {
    const read = await data<Buckets>(DEVICE_DAYS, {
      id: deviceId,
      from: iso(Date.UTC(2026, 9, 23, 22)),
      to: iso(Date.UTC(2026, 9, 26, 23)),
      timeZone: 'Europe/Berlin',
      fill: 'ZERO',
    });
    expect(read.device.telemetry.map(({ start, metrics }) => [start, metrics[0]!.sum])).toEqual([
      ['2026-10-23T22:00:00.000Z', 0],
      // 25 October runs from 22:00 UTC on the 24th to 23:00 UTC on the 25th: both points.
      ['2026-10-24T22:00:00.000Z', 2],
      ['2026-10-25T23:00:00.000Z', 0],
    ]);
  });
});

describe('a half-hour zone', () => {
  it('cuts hours at :30 UTC in Asia/Kolkata, on the fleet too, and says which zone it used', async () => {
    const read = await data<{
      fleet: {
        telemetry: {
          timeZone: string;
          series: { buckets: { start: string; metrics: { count: number }[] }[] }[];
        };
      };
    }>(
      `query ($from: DateTime!, $to: DateTime!) { fleet { telemetry(metrics: ["energy"],
        from: $from, to: $to, every: "1h", aggregates: [COUNT], timeZone: "Asia/Kolkata") {
        timeZone series { buckets { start metrics { count } } } } } }`,
      { from: iso(Date.UTC(2026, 2, 28, 22)), to: iso(Date.UTC(2026, 2, 29, 2)) },
    );
    expect(read.fleet.telemetry.timeZone).toBe('Asia/Kolkata');
    const buckets = read.fleet.telemetry.series[0]!.buckets;
    // 22:30 and 23:30 UTC each open a local hour; 01:30 UTC opens another.
    expect(buckets.map(({ start, metrics }) => [start, metrics[0]!.count])).toEqual([
      ['2026-03-28T22:30:00.000Z', 1],
      ['2026-03-28T23:30:00.000Z', 1],
      ['2026-03-29T01:30:00.000Z', 1],
    ]);
  });

  it('refuses an unknown zone, naming the argument', async () => {
    const answer = await query(DEVICE_DAYS, {
      id: deviceId,
      from: iso(0),
      to: iso(HOUR),
      timeZone: 'Europe/Atlantis',
    });
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'timeZone',
    });
  });
});
