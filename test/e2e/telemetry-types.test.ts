/**
 * Telemetry through GraphQL on the embedded app, for what the README's "Telemetry queries"
 * section promises: metrics listed by name everywhere, and aggregates by value type.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, postTelemetry } from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

interface Answer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

/** Plain documents (not the generated ones): this file asks for what a dashboard would. */
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

async function register(externalId: string) {
  const registered = await data<{
    registerDevice: { token: string; device: { id: string } };
  }>(
    `mutation ($input: RegisterDeviceInput!) {
      registerDevice(input: $input) { token device { id } }
    }`,
    { input: { externalId, name: externalId, type: 'sensor' } },
  );
  return { id: registered.registerDevice.device.id, token: registered.registerDevice.token };
}

type Point = { ts: number; metrics: Record<string, number | boolean | string> };

/** Posts the points as NDJSON and waits until all of them can be read back. */
async function send(device: { id: string; token: string }, points: Point[]) {
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
