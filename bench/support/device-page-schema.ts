/**
 * The shape of our `devices` page (a connection of `Device { id name latest { metric value ts } }`)
 * as the Mercurius baselines of bench/graphql-page.ts serve it: the SDL, its two scalars, and
 * the server itself.
 */
import Fastify from 'fastify';
import { GraphQLScalarType } from 'graphql';
import mercurius, { type IResolvers } from 'mercurius';
import { announcePort } from './baseline-server.js';

export const DEVICE_PAGE_SCHEMA = `
  scalar DateTime
  scalar MetricValue
  type MetricReading { metric: String! value: MetricValue! ts: DateTime! }
  type Device { id: ID! name: String! latest: [MetricReading!]! }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type DeviceEdge { cursor: String! node: Device! }
  type DeviceConnection { edges: [DeviceEdge!]! pageInfo: PageInfo! }
  type Query { devices(first: Int, after: String): DeviceConnection! }
`;

export const DEVICE_PAGE_SCALARS = {
  DateTime: new GraphQLScalarType({
    name: 'DateTime',
    serialize: (value) => (value as Date).toISOString(),
  }),
  MetricValue: new GraphQLScalarType({ name: 'MetricValue', serialize: (value) => value }),
};

/**
 * Mercurius with graphql-jit (`jit: 1`) serving the page with `resolvers` on 127.0.0.1; announces
 * its port; on SIGTERM closes, then `close` (the baseline's own clients), then exits.
 */
export async function serveDevicePage(
  resolvers: IResolvers,
  close: () => Promise<unknown> = async () => {},
): Promise<void> {
  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: DEVICE_PAGE_SCHEMA,
    resolvers: { ...DEVICE_PAGE_SCALARS, ...resolvers },
    jit: 1,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  announcePort(address.port);
  process.on('SIGTERM', () => {
    void Promise.all([app.close(), close()]).then(() => process.exit(0));
  });
}
