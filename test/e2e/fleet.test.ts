/**
 * `Query.fleet` on the embedded app, as the README's "Fleet analytics" section shows it: counts,
 * pooled series grouped by label, type and device, the newest values per site, and rankings. The
 * expected numbers are worked out here from the points sent, not read from a store.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, postTelemetry } from '../support/graphql-client.js';
import { plainGraphQL } from '../support/plain-graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

const { data, refusal, register } = plainGraphQL(app);

type Device = Awaited<ReturnType<typeof register>>;

const MINUTE = 60_000;
const START = Date.UTC(2026, 5, 1);
const iso = (ms: number) => new Date(ms).toISOString();

/** Posts each device's points as NDJSON and waits until the fleet counts every power value. */
async function send(points: Map<Device, { ts: number; metrics: Record<string, number> }[]>) {
  let total = 0;
  for (const [device, own] of points) {
    const body = own.map((point) => JSON.stringify(point)).join('\n');
    const posted = await postTelemetry(app.baseUrl, device.token, body, 'application/x-ndjson');
    expect(posted.status).toBe(202);
    total += own.filter((point) => 'power' in point.metrics).length;
  }
  await eventually(
    async () => {
      const read = await data<{ fleet: { telemetry: { series: { buckets: unknown[] }[] } } }>(
        `query ($from: DateTime!, $to: DateTime!) {
          fleet { telemetry(metrics: ["power"], from: $from, to: $to, every: "1d",
            aggregates: [COUNT]) { series { buckets { metrics { count } } } } }
        }`,
        { from: iso(START), to: iso(START + 60 * MINUTE) },
      );
      const buckets = read.fleet.telemetry.series[0]!.buckets as { metrics: { count: number }[] }[];
      return buckets[0]?.metrics[0]?.count === total ? true : undefined;
    },
    10_000,
    `${total} power values stored`,
  );
}

// Four meters at two sites and one without a site; a pump that sends no power at all.
let north1: Device;
let north2: Device;
let south: Device;
let unsited: Device;
let pump: Device;

/** Per device, its power at minutes 0..n of START (one point a minute). */
const POWER: Record<string, number[]> = {
  north1: [10, 20, 30],
  north2: [100],
  south: [5, 7],
  unsited: [7, 1, 1, 1],
};

beforeAll(async () => {
  north1 = await register('north-1', 'meter', { site: 'north' });
  north2 = await register('north-2', 'meter', { site: 'north', floor: '2' });
  south = await register('south-1', 'meter', { site: 'south' });
  unsited = await register('unsited-1', 'meter', {});
  pump = await register('pump-1', 'pump', { site: 'north' });
  const devices: Record<string, Device> = { north1, north2, south, unsited };
  const points = new Map<Device, { ts: number; metrics: Record<string, number> }[]>();
  for (const [name, values] of Object.entries(POWER)) {
    points.set(
      devices[name]!,
      values.map((power, minute) => ({ ts: START + minute * MINUTE, metrics: { power } })),
    );
  }
  points.set(pump, [{ ts: START, metrics: { pressure: 3 } }]);
  await send(points);
});

const window = { from: iso(START), to: iso(START + 10 * MINUTE) };

describe('fleet counts', () => {
  it('counts the devices a filter matches, and those that reported in a range', async () => {
    const read = await data<{
      all: { deviceCount: number; reporting: number; before: number };
      meters: { deviceCount: number };
      north: { deviceCount: number; reporting: number };
    }>(
      `query ($from: DateTime!, $to: DateTime!, $late: DateTime!) {
        all: fleet { deviceCount reporting(from: $from, to: $to) before: reporting(from: $late, to: $to) }
        meters: fleet(filter: { type: "meter" }) { deviceCount }
        north: fleet(filter: { labels: [{ key: "site", value: "north" }] }) {
          deviceCount reporting(from: $from, to: $to)
        }
      }`,
      // From minute 3 on only `unsited` still sends (its fourth point).
      { ...window, late: iso(START + 3 * MINUTE) },
    );
    expect(read.all).toEqual({ deviceCount: 5, reporting: 5, before: 1 });
    expect(read.meters.deviceCount).toBe(4);
    expect(read.north).toEqual({ deviceCount: 3, reporting: 3 });
  });
});

const FLEET_TELEMETRY = `query ($groupBy: FleetGroupBy, $aggregates: [Aggregate!], $every: String,
    $maxPoints: Int, $from: DateTime!, $to: DateTime!) {
  fleet(filter: { type: "meter" }) {
    telemetry(metrics: ["power"], from: $from, to: $to, every: $every, maxPoints: $maxPoints,
        aggregates: $aggregates, groupBy: $groupBy) {
      every
      series {
        group { by label value deviceCount device { externalId } }
        buckets { start metrics { metric mean sum count min max p50 first last } }
      }
    }
  }
}`;

interface Series {
  group: {
    by: string;
    label: string | null;
    value: string | null;
    deviceCount: number;
    device: { externalId: string } | null;
  };
  buckets: { start: string; metrics: Record<string, number | string | null>[] }[];
}
type FleetTelemetry = { fleet: { telemetry: { every: string; series: Series[] } } };

const askTelemetry = (variables: Record<string, unknown>) =>
  data<FleetTelemetry>(FLEET_TELEMETRY, { ...window, every: '1h', ...variables });

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('fleet telemetry', () => {
  it('pools every point of every device: the mean is not a mean of means', async () => {
    const read = await askTelemetry({ aggregates: ['MEAN', 'SUM', 'COUNT', 'MIN', 'MAX', 'P50'] });
    const all = Object.values(POWER).flat();
    const sorted = [...all].sort((a, b) => a - b);
    expect(read.fleet.telemetry.every).toBe('1h');
    expect(read.fleet.telemetry.series).toEqual([
      {
        group: { by: 'FLEET', label: null, value: null, deviceCount: 4, device: null },
        buckets: [
          {
            start: iso(START),
            metrics: [
              {
                metric: 'power',
                mean: sum(all) / all.length,
                sum: sum(all),
                count: all.length,
                min: sorted[0],
                max: sorted.at(-1),
                p50: sorted[Math.floor(all.length * 0.5 + 0.5) - 1],
                first: null,
                last: null,
              },
            ],
          },
        ],
      },
    ]);
    const meanOfMeans = sum(Object.values(POWER).map((v) => sum(v) / v.length)) / 4;
    expect(read.fleet.telemetry.series[0]!.buckets[0]!.metrics[0]!.mean).not.toBe(meanOfMeans);
  });

  it('groups by a label, with the devices lacking it in a last group whose value is null', async () => {
    const read = await askTelemetry({ groupBy: { label: 'site' }, aggregates: ['SUM', 'COUNT'] });
    const groups = read.fleet.telemetry.series.map(({ group, buckets }) => ({
      value: group.value,
      label: group.label,
      devices: group.deviceCount,
      sum: buckets[0]?.metrics[0]?.sum,
      count: buckets[0]?.metrics[0]?.count,
    }));
    expect(groups).toEqual([
      { value: 'north', label: 'site', devices: 2, sum: 160, count: 4 },
      { value: 'south', label: 'site', devices: 1, sum: 12, count: 2 },
      { value: null, label: 'site', devices: 1, sum: 10, count: 4 },
    ]);
  });

  it('groups by type (an empty group keeps its series) and by device (FIRST and LAST allowed)', async () => {
    const byType = await data<{ fleet: { telemetry: FleetTelemetry['fleet']['telemetry'] } }>(
      `query ($from: DateTime!, $to: DateTime!) {
        fleet { telemetry(metrics: ["power"], from: $from, to: $to, every: "1h",
          aggregates: [COUNT], groupBy: { type: true }) {
          every series { group { by value deviceCount } buckets { metrics { count } } }
        } }
      }`,
      window,
    );
    expect(byType.fleet.telemetry.series).toEqual([
      {
        group: { by: 'TYPE', value: 'meter', deviceCount: 4 },
        buckets: [{ metrics: [{ count: 10 }] }],
      },
      { group: { by: 'TYPE', value: 'pump', deviceCount: 1 }, buckets: [] },
    ]);

    const byDevice = await askTelemetry({
      groupBy: { device: true },
      aggregates: ['FIRST', 'LAST'],
    });
    const ends = byDevice.fleet.telemetry.series.map(({ group, buckets }) => [
      group.device?.externalId,
      group.value,
      buckets[0]?.metrics[0]?.first,
      buckets[0]?.metrics[0]?.last,
    ]);
    const expected = [
      ['north-1', north1.id, 10, 30],
      ['north-2', north2.id, 100, 100],
      ['south-1', south.id, 5, 7],
      ['unsited-1', unsited.id, 7, 1],
    ].sort((a, b) => (a[1]! < b[1]! ? -1 : 1));
    expect(ends).toEqual(expected);
  });

  it('picks the window from maxPoints and says which, on the fleet and on one device', async () => {
    // 10 minutes in at most 4 buckets: 2m would make 5, 5m makes 2.
    const read = await askTelemetry({ every: null, maxPoints: 4, aggregates: ['COUNT'] });
    expect(read.fleet.telemetry.every).toBe('5m');
    expect(read.fleet.telemetry.series[0]!.buckets.map((bucket) => bucket.start)).toEqual([
      iso(START),
    ]);
    const device = await data<{ device: { telemetry: { start: string }[] } }>(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
        device(id: $id) { telemetry(metrics: ["power"], from: $from, to: $to, maxPoints: 10) { start } }
      }`,
      { id: north1.id, ...window },
    );
    // 10 buckets of 1m: one per point.
    expect(device.device.telemetry.map((bucket) => bucket.start)).toEqual(
      [0, 1, 2].map((minute) => iso(START + minute * MINUTE)),
    );
  });

  it('refuses what it cannot answer, naming the argument', async () => {
    expect(
      await refusal(FLEET_TELEMETRY, { ...window, every: '1h', aggregates: ['FIRST'] }),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'aggregates',
      message: expect.stringContaining('FIRST is per device'),
    });
    expect(await refusal(FLEET_TELEMETRY, { ...window, every: '1h', maxPoints: 5 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'give either every or maxPoints (not both)',
    });
    // GraphQL refuses two groupings written in the document; sent as variables, the resolver does.
    expect(
      await refusal(`{ fleet { telemetry(metrics: ["power"], from: "${window.from}", to: "${window.to}",
        every: "1h", groupBy: { label: "site", type: true }) { every } } }`),
    ).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      message: expect.stringMatching(/exactly one/i),
    });
    expect(
      await refusal(FLEET_TELEMETRY, {
        ...window,
        every: '1h',
        groupBy: { label: 'site', type: true },
      }),
    ).toMatchObject({ message: expect.stringMatching(/exactly one/i) });
    expect(
      await refusal(FLEET_TELEMETRY, { ...window, every: '1h', groupBy: { label: 'not a key!' } }),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'groupBy' });
    // 4 devices × 6,000 buckets of 100ms: each series fits the cost limit, the four do not.
    expect(
      await refusal(FLEET_TELEMETRY, { ...window, every: '100ms', groupBy: { device: true } }),
    ).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('cost limit') });
  });
});

describe('fleet latest and top', () => {
  it("aggregates each device's newest value per group: a site's power now", async () => {
    const read = await data<{
      fleet: { latest: { group: { value: string | null }; metrics: Record<string, number>[] }[] };
    }>(
      `{ fleet(filter: { type: "meter" }) {
          latest(metrics: ["power"], aggregates: [SUM, COUNT, MAX], groupBy: { label: "site" }) {
            group { value } metrics { metric sum count max }
          }
      } }`,
    );
    // The newest values: north1 30, north2 100, south 7, unsited 1.
    expect(read.fleet.latest).toEqual([
      { group: { value: 'north' }, metrics: [{ metric: 'power', sum: 130, count: 2, max: 100 }] },
      { group: { value: 'south' }, metrics: [{ metric: 'power', sum: 7, count: 1, max: 7 }] },
      { group: { value: null }, metrics: [{ metric: 'power', sum: 1, count: 1, max: 1 }] },
    ]);
  });

  it('ranks devices by an aggregate over the range, ties by device id', async () => {
    const TOP = `query ($aggregate: Aggregate!, $order: SortOrder, $n: Int!, $from: DateTime!, $to: DateTime!) {
      fleet { top(metric: "power", aggregate: $aggregate, from: $from, to: $to, n: $n, order: $order) {
        device { externalId } value
      } }
    }`;
    type Top = { fleet: { top: { device: { externalId: string }; value: number }[] } };
    // MAX: north-2 100, north-1 30, then south-1 and unsited-1 both 7, in device id order.
    const tied = [south, unsited].sort((a, b) => (a.id < b.id ? -1 : 1));
    const externalIds = new Map([
      [south.id, 'south-1'],
      [unsited.id, 'unsited-1'],
    ]);
    const desc = await data<Top>(TOP, { ...window, aggregate: 'MAX', n: 4 });
    expect(desc.fleet.top).toEqual([
      { device: { externalId: 'north-2' }, value: 100 },
      { device: { externalId: 'north-1' }, value: 30 },
      ...tied.map(({ id }) => ({ device: { externalId: externalIds.get(id) }, value: 7 })),
    ]);
    // The pump sends no power: it is not ranked, whatever n is.
    const asc = await data<Top>(TOP, { ...window, aggregate: 'COUNT', n: 10, order: 'ASC' });
    expect(asc.fleet.top).toEqual([
      { device: { externalId: 'north-2' }, value: 1 },
      { device: { externalId: 'south-1' }, value: 2 },
      { device: { externalId: 'north-1' }, value: 3 },
      { device: { externalId: 'unsited-1' }, value: 4 },
    ]);
    // An unaligned range is one bucket all the same: minutes 1 and 2 of north1 are 20 and 30.
    const unaligned = await data<Top>(TOP, {
      from: iso(START + MINUTE - 7),
      to: iso(START + 3 * MINUTE),
      aggregate: 'SUM',
      n: 1,
    });
    expect(unaligned.fleet.top).toEqual([{ device: { externalId: 'north-1' }, value: 50 }]);
    expect(await refusal(TOP, { ...window, aggregate: 'MAX', n: 0 })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'n',
    });
  });
});
