/**
 * The shape of our `devices` page (a connection of `Device { id name latest { metric value ts } }`)
 * as the Mercurius baselines of bench/graphql-page.ts serve it: the SDL and its two scalars.
 */
import { GraphQLScalarType } from 'graphql';

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
