/**
 * The query baseline (docs/architecture.md, "Performance goals"): Mercurius with graphql-jit
 * (`jit: 1`) serving the same shape as our `devices` page (a connection of
 * `Device { id name latest { metric value ts } }`) from in-memory data, with no auth, limits or
 * stores. Run as a child process by bench/graphql-page.ts; prints `{"port": n}` once listening.
 *
 *   node --import tsx bench/support/mercurius-baseline-server.ts [devices=50]
 */
import { serveDevicePage } from './device-page-schema.js';

const DEVICES = Number(process.argv[2] ?? 50);
const baseTs = Date.UTC(2026, 0, 1);

interface Reading {
  metric: string;
  value: number;
  ts: Date;
}
const devices = Array.from({ length: DEVICES }, (_, i) => ({
  id: crypto.randomUUID(),
  name: `Bench ${i}`,
}));
const latest = new Map<string, Reading[]>(
  devices.map((device) => [
    device.id,
    [
      { metric: 'seq', value: 19, ts: new Date(baseTs + 19) },
      { metric: 'value', value: 19, ts: new Date(baseTs + 19) },
    ],
  ]),
);

const resolvers = {
  Query: {
    devices: (_root: unknown, args: { first?: number }) => {
      const page = devices.slice(0, args.first ?? 20);
      const edges = page.map((node) => ({ cursor: `device:${node.id}`, node }));
      return {
        edges,
        pageInfo: {
          hasNextPage: page.length < devices.length,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  },
  Device: {
    latest: (device: { id: string }) => latest.get(device.id) ?? [],
  },
};

await serveDevicePage(resolvers);
