/**
 * The aggregates beyond MEAN and its kin through GraphQL on the embedded app, as the README's
 * "Telemetry queries" section defines them: MEDIAN, STDDEV and SPREAD on a device, a fleet and
 * the fleet's newest values, and what they refuse. Expected numbers are worked out here from the
 * points sent, not read from a store.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, postTelemetry } from '../support/graphql-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

interface Answer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

async function query<T>(document: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
    body: JSON.stringify({ query: document, variables }),
  });
  return (await response.json()) as Answer<T>;
}

async function data<T>(document: string, variables: Record<string, unknown> = {}) {
  const answer = await query<T>(document, variables);
  if (answer.errors?.length || !answer.data) {
    throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
  }
  return answer.data;
}

/** The first error's code, argument and message. */
async function refusal(document: string, variables: Record<string, unknown> = {}) {
  const answer = await query(document, variables);
  expect(answer.errors, JSON.stringify(answer)).toBeDefined();
  const [error] = answer.errors!;
  return {
    code: error!.extensions?.code,
    field: error!.extensions?.field,
    message: error!.message,
  };
}

interface Device {
  id: string;
  token: string;
}

async function register(externalId: string, type: string): Promise<Device> {
  const registered = await data<{ registerDevice: { token: string; device: { id: string } } }>(
    `mutation ($input: RegisterDeviceInput!) {
      registerDevice(input: $input) { token device { id } }
    }`,
    { input: { externalId, name: externalId, type } },
  );
  return { id: registered.registerDevice.device.id, token: registered.registerDevice.token };
}

type Point = { ts: number; metrics: Record<string, number | boolean> };

/** Posts the points as NDJSON and waits until all of them can be read back. */
async function send(device: Device, points: Point[]) {
  const body = points.map((point) => JSON.stringify(point)).join('\n');
  const posted = await postTelemetry(app.baseUrl, device.token, body, 'application/x-ndjson');
  expect(posted.status).toBe(202);
  const times = new Set(points.map((point) => point.ts));
  await eventually(
    async () => {
      const read = await data<{ device: { rawTelemetry: { edges: { node: { ts: string } }[] } } }>(
        `query ($id: ID!) {
          device(id: $id) {
            rawTelemetry(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", first: 1000) {
              edges { node { ts } }
            }
          }
        }`,
        { id: device.id },
      );
      const stored = new Set(read.device.rawTelemetry.edges.map((e) => Date.parse(e.node.ts)));
      return [...times].every((ts) => stored.has(ts)) ? true : undefined;
    },
    10_000,
    `${points.length} points stored`,
  );
}

const MINUTE = 60_000;
const START = Date.UTC(2026, 6, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const range = { from: iso(START), to: iso(START + 10 * MINUTE) };

/** Two gauges of one type (`gauge`), a door on another (`door`). */
let left: Device;
let right: Device;
let door: Device;

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
