/**
 * Telemetry through GraphQL on the embedded app, for what the README's "Telemetry queries"
 * section promises: metrics listed by name everywhere, and aggregates by value type.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, postTelemetry } from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { plainGraphQL } from '../support/plain-graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

/** Plain documents (not the generated ones): this file asks for what a dashboard would. */
const { query, data, register, sendAndWait: send } = plainGraphQL(app);

const MINUTE = 60_000;
const START = Date.UTC(2026, 2, 1);
const range = {
  from: new Date(START).toISOString(),
  to: new Date(START + 10 * MINUTE).toISOString(),
};

describe('metric order', () => {
  let device: { id: string; token: string };

  beforeAll(async () => {
    device = await register('order-1');
    await send(device, [
      { ts: START, metrics: { zeta: 1, alpha: 2, Mid: 3 } },
      { ts: START + 1_000, metrics: { beta: 4, zeta: 5 } },
    ]);
  });

  it('lists latest, raw and bucket metrics by name, whatever order they were sent or asked in', async () => {
    const read = await data<{
      device: {
        latest: { metric: string }[];
        rawTelemetry: { edges: { node: { metrics: { metric: string }[] } }[] };
        telemetry: { metrics: { metric: string }[] }[];
      };
    }>(
      `query ($id: ID!, $from: DateTime!, $to: DateTime!) {
        device(id: $id) {
          latest { metric }
          rawTelemetry(metrics: ["zeta", "beta", "alpha", "Mid"], from: $from, to: $to) {
            edges { node { metrics { metric } } }
          }
          telemetry(metrics: ["zeta", "beta", "alpha", "Mid"], from: $from, to: $to, every: "1h",
            aggregates: [COUNT]) {
            metrics { metric }
          }
        }
      }`,
      { id: device.id, ...range },
    );
    const names = (list: { metric: string }[]) => list.map(({ metric }) => metric);
    expect(names(read.device.latest)).toEqual(['Mid', 'alpha', 'beta', 'zeta']);
    expect(read.device.rawTelemetry.edges.map((edge) => names(edge.node.metrics))).toEqual([
      ['Mid', 'alpha', 'zeta'],
      ['beta', 'zeta'],
    ]);
    expect(read.device.telemetry.map((bucket) => names(bucket.metrics))).toEqual([
      ['Mid', 'alpha', 'beta', 'zeta'],
    ]);
  });

  it('delivers live points with their metrics by name', async () => {
    const client = liveClient(app.baseUrl, app.adminToken);
    try {
      const received: string[][] = [];
      const ended = new Promise<void>((resolve, reject) => {
        client.subscribe(
          {
            query: `subscription ($ids: [ID!]!) { telemetry(deviceIds: $ids) { metrics { metric } } }`,
            variables: { ids: [device.id] },
          },
          {
            next: (message) => {
              const point = (message.data as { telemetry: { metrics: { metric: string }[] } })
                .telemetry;
              received.push(point.metrics.map(({ metric }) => metric));
            },
            error: reject,
            complete: resolve,
          },
        );
      });
      void ended.catch(() => undefined);
      // Keep posting until the subscription is registered and a point arrives.
      let ts = START + 5 * MINUTE;
      await eventually(
        async () => {
          const body = JSON.stringify({ ts: ts++, metrics: { zeta: 1, alpha: 2, Mid: 3 } });
          await postTelemetry(app.baseUrl, device.token, body);
          return received.length > 0 ? true : undefined;
        },
        10_000,
        'a live point',
      );
      expect(received[0]).toEqual(['Mid', 'alpha', 'zeta']);
    } finally {
      await client.dispose();
    }
  });
});

interface MetricAggregates {
  metric: string;
  count: number | null;
  mean: number | null;
  sum: number | null;
  min: number | null;
  first: number | boolean | string | null;
  last: number | boolean | string | null;
}

const TELEMETRY = `query ($id: ID!, $metrics: [String!]!, $from: DateTime!, $to: DateTime!,
    $aggregates: [Aggregate!], $fill: Fill) {
  device(id: $id) {
    telemetry(metrics: $metrics, from: $from, to: $to, every: "1m", aggregates: $aggregates,
        fill: $fill) {
      start
      metrics { metric count mean sum min first last }
    }
  }
}`;

type Buckets = { device: { telemetry: { start: string; metrics: MetricAggregates[] }[] } };

describe('aggregates by value type', () => {
  let device: { id: string; token: string };
  const ask = (metrics: string[], aggregates?: string[], fill = 'NONE') =>
    query<Buckets>(TELEMETRY, { id: device.id, metrics, aggregates, fill, ...range });

  beforeAll(async () => {
    device = await register('types-1');
    const at = (minute: number, second: number) => START + minute * MINUTE + second * 1_000;
    await send(device, [
      // Minute 0: the door open 1 of 4 times; minute 2: 3 of 4. Minute 1 is empty.
      { ts: at(0, 1), metrics: { door: false, mode: 'eco', temp: 20.5, level: 1 } },
      { ts: at(0, 2), metrics: { door: true, mode: 'comfort', temp: 21 } },
      { ts: at(0, 3), metrics: { door: false, mode: 'eco', temp: 21.5 } },
      { ts: at(0, 4), metrics: { door: false, mode: 'off', temp: 22 } },
      { ts: at(2, 1), metrics: { door: true, mode: 'off', level: 'high' } },
      { ts: at(2, 2), metrics: { door: true } },
      { ts: at(2, 3), metrics: { door: false, level: 3 } },
      { ts: at(2, 4), metrics: { door: true, mode: 'eco' } },
    ]);
  });

  it('answers COUNT, MEAN (the fraction of true), FIRST and LAST of a boolean metric', async () => {
    const answer = await ask(['door'], ['COUNT', 'MEAN', 'FIRST', 'LAST']);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.device.telemetry).toEqual([
      {
        start: new Date(START).toISOString(),
        metrics: [
          { metric: 'door', count: 4, mean: 0.25, sum: null, min: null, first: false, last: false },
        ],
      },
      {
        start: new Date(START + 2 * MINUTE).toISOString(),
        metrics: [
          { metric: 'door', count: 4, mean: 0.75, sum: null, min: null, first: true, last: true },
        ],
      },
    ]);
  });

  it('answers COUNT, FIRST and LAST of a string metric, as sent, with every fill', async () => {
    const answer = await ask(['mode'], ['COUNT', 'FIRST', 'LAST'], 'ZERO');
    expect(answer.errors).toBeUndefined();
    const mode = answer.data!.device.telemetry.map((bucket) => bucket.metrics[0]);
    expect(mode.slice(0, 3)).toEqual([
      { metric: 'mode', count: 4, mean: null, sum: null, min: null, first: 'eco', last: 'off' },
      // An empty bucket: ZERO counts 0, and a string metric's FIRST and LAST stay null.
      { metric: 'mode', count: 0, mean: null, sum: null, min: null, first: null, last: null },
      { metric: 'mode', count: 2, mean: null, sum: null, min: null, first: 'off', last: 'eco' },
    ]);
    const previous = await ask(['mode'], ['LAST'], 'PREVIOUS');
    expect(previous.data!.device.telemetry.slice(0, 3).map((b) => b.metrics[0]!.last)).toEqual([
      'off',
      'off',
      'eco',
    ]);
  });

  it.each([
    ['SUM', 'mode', 'its values are strings, which take COUNT, FIRST and LAST'],
    ['P95', 'mode', 'its values are strings, which take COUNT, FIRST and LAST'],
    ['MEAN', 'mode', 'its values are strings, which take COUNT, FIRST and LAST'],
    ['MIN', 'door', 'its values are booleans, which take COUNT, MEAN (the fraction of true)'],
    ['SUM', 'door', 'its values are booleans, which take COUNT, MEAN (the fraction of true)'],
    ['MEAN', 'level', 'its values in the range are of several types (numbers, strings)'],
    ['MAX', 'level', 'its values in the range are of several types (numbers, strings)'],
  ])(
    'refuses %s of %s with BAD_USER_INPUT saying why, never an empty series',
    async (aggregate, metric, why) => {
      const answer = await ask([metric, 'temp'], [aggregate]);
      expect(answer.data).toBeNull();
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.errors![0]!.message).toContain(
        `${aggregate} cannot aggregate metric "${metric}": ${why}`,
      );
    },
  );

  it('refuses the default MEAN of a string metric too', async () => {
    const answer = await ask(['mode']);
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('counts a metric of several types, and gives its FIRST and LAST whatever their types', async () => {
    const answer = await ask(['level'], ['COUNT', 'FIRST', 'LAST']);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.device.telemetry.map((bucket) => bucket.metrics[0])).toEqual([
      { metric: 'level', count: 1, mean: null, sum: null, min: null, first: 1, last: 1 },
      // A string, then a number, in one bucket.
      { metric: 'level', count: 2, mean: null, sum: null, min: null, first: 'high', last: 3 },
    ]);
  });

  it('keeps numbers as they were: every aggregate, FIRST and LAST as numbers', async () => {
    const answer = await ask(['temp'], ['COUNT', 'MEAN', 'SUM', 'MIN', 'FIRST', 'LAST']);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.device.telemetry.map((bucket) => bucket.metrics[0])).toEqual([
      { metric: 'temp', count: 4, mean: 21.25, sum: 85, min: 20.5, first: 20.5, last: 22 },
    ]);
  });
});
