/**
 * The aggregates beyond MEAN and its kin through GraphQL on the embedded app, as the README's
 * "Telemetry queries" section defines them: MEDIAN, STDDEV and SPREAD on a device, a fleet and
 * the fleet's newest values; percentiles of any p; a counter's INCREASE and RATE; and what they
 * refuse. Expected numbers are worked out here from the points sent, not read from a store.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { plainGraphQL } from '../support/plain-graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

const { data, refusal, register, sendAndWait: send } = plainGraphQL(app);

type Device = Awaited<ReturnType<typeof register>>;

const MINUTE = 60_000;
const START = Date.UTC(2026, 6, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const range = { from: iso(START), to: iso(START + 10 * MINUTE) };

/** Two gauges of one type (`gauge`), a door on another (`door`), a sampler. */
let left: Device;
let right: Device;
let door: Device;
let sampler: Device;
/** Two meters counting energy, each reset once. */
let meterA: Device;
let meterB: Device;
/** A meter read at noon, Berlin time, around the spring DST change (2026-03-29, 23 hours). */
let berlin: Device;
const NOONS = [Date.UTC(2026, 2, 28, 11), Date.UTC(2026, 2, 29, 10), Date.UTC(2026, 2, 30, 10)];

beforeAll(async () => {
  left = await register('gauge-left', 'gauge');
  right = await register('gauge-right', 'gauge');
  door = await register('door-1', 'door');
  // The left gauge's level: 0.7, then 0.1 (newest); the right one's: 2, 4, 4, 5 (newest).
  await send(left, [
    { ts: START, metrics: { level: 0.7 } },
    { ts: START + MINUTE, metrics: { level: 0.1 } },
  ]);
  await send(
    right,
    [2, 4, 4, 5].map((level, i) => ({ ts: START + i * MINUTE, metrics: { level } })),
  );
  sampler = await register('sampler-1', 'sampler');
  // 1, 2, ..., 40, ten seconds apart: 1..30 in the first five minutes, 31..40 in the next.
  await send(
    sampler,
    Array.from({ length: 40 }, (_, i) => ({ ts: START + i * 10_000, metrics: { load: i + 1 } })),
  );
  meterA = await register('meter-a', 'meter');
  meterB = await register('meter-b', 'meter');
  // Minute by minute: 100, 110, 130, then 5 (a reset: +5), 25. Steps 10, 20, 5, 20.
  await send(
    meterA,
    [100, 110, 130, 5, 25].map((energy, i) => ({ ts: START + i * MINUTE, metrics: { energy } })),
  );
  // 7, 9 then 1 (a reset: +1), 4. Steps 2, 1, 3.
  await send(
    meterB,
    [7, 9, 1, 4].map((energy, i) => ({ ts: START + i * MINUTE, metrics: { energy } })),
  );
  berlin = await register('meter-berlin', 'berlin');
  await send(
    berlin,
    [10, 20, 35].map((energy, i) => ({ ts: NOONS[i]!, metrics: { energy } })),
  );
  await send(door, [
    { ts: START, metrics: { open: true } },
    { ts: START + MINUTE, metrics: { open: false } },
  ]);
});

/** The sample standard deviation, two passes in doubles: close enough to check the surface. */
function deviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

interface Metrics {
  metric: string;
  median: number | null;
  stddev: number | null;
  spread: number | null;
}

describe('MEDIAN, STDDEV and SPREAD', () => {
  it("answers them for a device's buckets: MEDIAN as InfluxQL takes it, STDDEV null for one number", async () => {
    const read = await data<{ device: { telemetry: { start: string; metrics: Metrics[] }[] } }>(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
        device(id: $id) {
          telemetry(metrics: ["level"], from: $from, to: $to, every: "10m",
            aggregates: [MEDIAN, STDDEV, SPREAD]) {
            start metrics { metric median stddev spread }
          }
        }
      }`,
      { id: left.id, ...range },
    );
    expect(read.device.telemetry).toEqual([
      {
        start: iso(START),
        // lo + (hi - lo) / 2 = 0.4, where (lo + hi) / 2 = 0.39999999999999997; the sample
        // standard deviation of the doubles 0.7 and 0.1, correctly rounded.
        metrics: [{ metric: 'level', median: 0.4, stddev: 0.42426406871192845, spread: 0.6 }],
      },
    ]);
    const single = await data<{ device: { telemetry: { metrics: Metrics[] }[] } }>(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
        device(id: $id) {
          telemetry(metrics: ["level"], from: $from, to: $to, every: "1m",
            aggregates: [MEDIAN, STDDEV, SPREAD], fill: ZERO) {
            metrics { median stddev spread }
          }
        }
      }`,
      { id: left.id, from: iso(START), to: iso(START + 3 * MINUTE) },
    );
    expect(single.device.telemetry.map((bucket) => bucket.metrics[0])).toEqual([
      { median: 0.7, stddev: null, spread: 0 },
      { median: 0.1, stddev: null, spread: 0 },
      // An empty bucket filled with zeros.
      { median: 0, stddev: 0, spread: 0 },
    ]);
  });

  it("pools them over a fleet, and over its devices' newest values", async () => {
    const read = await data<{
      fleet: {
        telemetry: { series: { buckets: { metrics: Metrics[] }[] }[] };
        latest: { metrics: Metrics[] }[];
        top: { deviceId: string; value: number }[];
      };
    }>(
      `query ($from: DateTime!, $to: DateTime!) {
        fleet(filter: { type: "gauge" }) {
          telemetry(metrics: ["level"], from: $from, to: $to, every: "10m",
            aggregates: [MEDIAN, STDDEV, SPREAD]) {
            series { buckets { metrics { metric median stddev spread } } }
          }
          latest(metrics: ["level"], aggregates: [MEDIAN, STDDEV, SPREAD]) {
            metrics { metric median stddev spread }
          }
          top(metric: "level", aggregate: SPREAD, from: $from, to: $to, n: 2) { deviceId value }
        }
      }`,
      range,
    );
    // 0.1, 0.7, 2, 4, 4, 5: the middle two are 2 and 4.
    const all = [0.1, 0.7, 2, 4, 4, 5];
    expect(read.fleet.telemetry.series[0]!.buckets[0]!.metrics).toEqual([
      { metric: 'level', median: 3, stddev: expect.closeTo(deviation(all), 12), spread: 5 - 0.1 },
    ]);
    // The newest values, 0.1 and 5.
    expect(read.fleet.latest[0]!.metrics).toEqual([
      {
        metric: 'level',
        median: 0.1 + (5 - 0.1) / 2,
        stddev: expect.closeTo(deviation([0.1, 5]), 12),
        spread: 5 - 0.1,
      },
    ]);
    expect(read.fleet.top).toEqual([
      { deviceId: right.id, value: 3 },
      { deviceId: left.id, value: 0.7 - 0.1 },
    ]);
  });

  it('refuses them for a boolean metric, naming it, like MIN', async () => {
    for (const aggregate of ['SPREAD', 'MEDIAN', 'STDDEV']) {
      expect(
        await refusal(
          `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
            device(id: $id) {
              telemetry(metrics: ["open"], from: $from, to: $to, every: "10m",
                aggregates: [${aggregate}]) { start }
            }
          }`,
          { id: door.id, ...range },
        ),
      ).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'aggregates',
        message: `${aggregate} cannot aggregate metric "open": its values are booleans, which take COUNT, MEAN (the fraction of true), FIRST and LAST`,
      });
    }
  });
});

interface Percentiles {
  metric: string;
  p50?: number | null;
  percentiles: { percentile: number; value: number | null }[] | null;
}

describe('percentiles of any p', () => {
  const sampled = `query ($id: ID!, $from: DateTime!, $to: DateTime!, $percentiles: [Float!],
    $aggregates: [Aggregate!], $fill: Fill) {
    device(id: $id) {
      telemetry(metrics: ["load"], from: $from, to: $to, every: "5m", aggregates: $aggregates,
        percentiles: $percentiles, fill: $fill) {
        start metrics { metric p50 percentiles { percentile value } }
      }
    }
  }`;

  it('answers them in the order asked, nearest rank of p as written, filled like the aggregates', async () => {
    const read = await data<{ device: { telemetry: { metrics: Percentiles[] }[] } }>(sampled, {
      id: sampler.id,
      from: iso(START),
      to: iso(START + 15 * MINUTE),
      percentiles: [99.9, 12.5, 50, 99.9],
      aggregates: ['P50'],
      fill: 'ZERO',
    });
    const asked = (values: number[]) =>
      [99.9, 12.5, 50].map((percentile, i) => ({ percentile, value: values[i]! }));
    expect(read.device.telemetry.map((bucket) => bucket.metrics)).toEqual([
      // 30 numbers: ranks floor(29.97 + 0.5) = 30, floor(3.75 + 0.5) = 4, 15.
      [{ metric: 'load', p50: 15, percentiles: asked([30, 4, 15]) }],
      // 31..40: ranks 10, floor(1.25 + 0.5) = 1, 5.
      [{ metric: 'load', p50: 35, percentiles: asked([40, 31, 35]) }],
      // The empty bucket, ZERO-filled.
      [{ metric: 'load', p50: 0, percentiles: asked([0, 0, 0]) }],
    ]);
    // Percentiles alone: no MEAN by default; not asked, they are null.
    const alone = await data<{ device: { telemetry: { metrics: Percentiles[] }[] } }>(sampled, {
      id: sampler.id,
      ...range,
      percentiles: [12.5],
    });
    expect(alone.device.telemetry[0]!.metrics).toEqual([
      { metric: 'load', p50: null, percentiles: [{ percentile: 12.5, value: 4 }] },
    ]);
    const none = await data<{ device: { telemetry: { metrics: Percentiles[] }[] } }>(sampled, {
      id: sampler.id,
      ...range,
      aggregates: ['P50'],
    });
    expect(none.device.telemetry[0]!.metrics).toEqual([
      { metric: 'load', p50: 15, percentiles: null },
    ]);
  });

  it('pools them over a fleet', async () => {
    const read = await data<{
      fleet: { telemetry: { series: { buckets: { metrics: Percentiles[] }[] }[] } };
    }>(
      `query ($from: DateTime!, $to: DateTime!) {
        fleet(filter: { type: "gauge" }) {
          telemetry(metrics: ["level"], from: $from, to: $to, every: "10m",
            percentiles: [12.5, 99.9, 100]) {
            series { buckets { metrics { metric percentiles { percentile value } } } }
          }
        }
      }`,
      range,
    );
    // 0.1, 0.7, 2, 4, 4, 5: ranks floor(0.75 + 0.5) = 1, floor(5.994 + 0.5) = 6, 6.
    expect(read.fleet.telemetry.series[0]!.buckets[0]!.metrics).toEqual([
      {
        metric: 'level',
        percentiles: [
          { percentile: 12.5, value: 0.1 },
          { percentile: 99.9, value: 5 },
          { percentile: 100, value: 5 },
        ],
      },
    ]);
  });

  it('refuses a percentile outside (0, 100], more than ten, and a metric that is not numbers', async () => {
    const ask = (id: string, metric: string, percentiles: number[]) =>
      refusal(
        `query ($id: ID!, $from: DateTime!, $to: DateTime!, $percentiles: [Float!]) {
          device(id: $id) {
            telemetry(metrics: ["${metric}"], from: $from, to: $to, every: "10m",
              percentiles: $percentiles) { start }
          }
        }`,
        { id, ...range, percentiles },
      );
    for (const p of [0, 101, -5]) {
      expect(await ask(sampler.id, 'load', [50, p])).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'percentiles',
        message: `a percentile is greater than 0 and at most 100 (99.9, 12.5, 50), not ${p}`,
      });
    }
    expect(
      await ask(
        sampler.id,
        'load',
        Array.from({ length: 11 }, (_, i) => i + 1),
      ),
    ).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'percentiles',
      message: 'at most 10 percentiles',
    });
    expect(await ask(door.id, 'open', [99.9])).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'percentiles',
      message:
        'percentiles cannot aggregate metric "open": its values are booleans, which take COUNT, MEAN (the fraction of true), FIRST and LAST',
    });
  });
});

interface Counter {
  metric: string;
  increase: number | null;
  rate: number | null;
}

describe("a counter's INCREASE and RATE", () => {
  it("counts a drop as a reset, each step in its later point's bucket, on a device", async () => {
    const read = await data<{ device: { telemetry: { start: string; metrics: Counter[] }[] } }>(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
        device(id: $id) {
          telemetry(metrics: ["energy"], from: $from, to: $to, every: "2m",
            aggregates: [INCREASE, RATE], fill: ZERO) {
            start metrics { metric increase rate }
          }
        }
      }`,
      { id: meterA.id, from: iso(START), to: iso(START + 8 * MINUTE) },
    );
    const bucket = (minute: number, increase: number) => ({
      start: iso(START + minute * MINUTE),
      metrics: [{ metric: 'energy', increase, rate: increase / 120 }],
    });
    expect(read.device.telemetry).toEqual([
      // 100 starts the series; 110 is +10.
      bucket(0, 10),
      // 130 is +20, then 5 after a drop is +5.
      bucket(2, 25),
      bucket(4, 20),
      // Nothing sent: ZERO-filled.
      bucket(6, 0),
    ]);
    // Over the range as one bucket (top ranks by it): the sum of the buckets'.
    const whole = await data<{ device: { telemetry: { metrics: Counter[] }[] } }>(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
        device(id: $id) {
          telemetry(metrics: ["energy"], from: $from, to: $to, every: "10m",
            aggregates: [INCREASE, RATE]) { metrics { metric increase rate } }
        }
      }`,
      { id: meterA.id, ...range },
    );
    expect(whole.device.telemetry[0]!.metrics).toEqual([
      { metric: 'energy', increase: 55, rate: 55 / 600 },
    ]);
  });

  it('keeps the steps across local days of different lengths (the stores are asked run by run)', async () => {
    const read = await data<{ device: { telemetry: { start: string; metrics: Counter[] }[] } }>(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
        device(id: $id) {
          telemetry(metrics: ["energy"], from: $from, to: $to, every: "1d",
            aggregates: [INCREASE, RATE], timeZone: "Europe/Berlin") {
            start metrics { metric increase rate }
          }
        }
      }`,
      // Local midnights: the 28th at 23:00 UTC the day before, the 29th likewise, the 30th at
      // 22:00 UTC (summer time).
      { id: berlin.id, from: '2026-03-27T23:00:00Z', to: '2026-03-30T22:00:00Z' },
    );
    const hours = 3_600;
    expect(read.device.telemetry).toEqual([
      { start: '2026-03-27T23:00:00.000Z', metrics: [{ metric: 'energy', increase: 0, rate: 0 }] },
      {
        start: '2026-03-28T23:00:00.000Z',
        metrics: [{ metric: 'energy', increase: 10, rate: 10 / (23 * hours) }],
      },
      {
        start: '2026-03-29T22:00:00.000Z',
        metrics: [{ metric: 'energy', increase: 15, rate: 15 / (24 * hours) }],
      },
    ]);
  });

  it("sums the devices' INCREASEs over a fleet, ranks by it, and is refused of newest values", async () => {
    const read = await data<{
      fleet: {
        telemetry: { series: { buckets: { metrics: Counter[] }[] }[] };
        top: { deviceId: string; value: number }[];
      };
    }>(
      `query ($from: DateTime!, $to: DateTime!) {
        fleet(filter: { type: "meter" }) {
          telemetry(metrics: ["energy"], from: $from, to: $to, every: "10m",
            aggregates: [INCREASE, RATE]) {
            series { buckets { metrics { metric increase rate } } }
          }
          top(metric: "energy", aggregate: INCREASE, from: $from, to: $to, n: 2) {
            deviceId value
          }
        }
      }`,
      range,
    );
    expect(read.fleet.telemetry.series[0]!.buckets[0]!.metrics).toEqual([
      { metric: 'energy', increase: 55 + 6, rate: 61 / 600 },
    ]);
    expect(read.fleet.top).toEqual([
      { deviceId: meterA.id, value: 55 },
      { deviceId: meterB.id, value: 6 },
    ]);
    for (const aggregate of ['INCREASE', 'RATE']) {
      expect(
        await refusal(
          `{ fleet(filter: { type: "meter" }) {
            latest(metrics: ["energy"], aggregates: [${aggregate}]) { metrics { metric } }
          } }`,
        ),
      ).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'aggregates',
        message: `${aggregate} needs a range, of which a newest value has none: ask fleet.telemetry or fleet.top`,
      });
    }
  });
});

describe('an aggregate beyond the largest double', () => {
  it('is refused with VALUE_OUT_OF_RANGE naming it, and the rest of the answer stands', async () => {
    const huge = await register('huge-1', 'huge');
    await send(huge, [
      { ts: START, metrics: { x: 1.7e308 } },
      { ts: START + MINUTE, metrics: { x: 1.7e308 } },
    ]);
    const telemetry = (aggregates: string) =>
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
        device(id: $id) {
          telemetry(metrics: ["x"], from: $from, to: $to, every: "10m", aggregates: [${aggregates}]) {
            metrics { max sum }
          }
        }
      }`;
    expect(await refusal(telemetry('MAX, SUM'), { id: huge.id, ...range })).toEqual({
      code: 'VALUE_OUT_OF_RANGE',
      field: undefined,
      message: 'SUM of "x" is beyond the range of a double (about ±1.8e308)',
    });
    expect(await data(telemetry('MAX'), { id: huge.id, ...range })).toEqual({
      device: { telemetry: [{ metrics: [{ max: 1.7e308, sum: null }] }] },
    });
    expect(
      await refusal(
        `query ($from: DateTime!, $to: DateTime!) {
          fleet(filter: { type: "huge" }) {
            top(metric: "x", aggregate: SUM, from: $from, to: $to, n: 1) { value }
          }
        }`,
        range,
      ),
    ).toMatchObject({ code: 'VALUE_OUT_OF_RANGE' });
  });
});
