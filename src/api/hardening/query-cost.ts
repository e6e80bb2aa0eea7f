import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import {
  bucketCount,
  DEFAULT_ALERTS,
  DEFAULT_PAGE_SIZE,
  DEFAULT_RAW_PAGE,
  MAX_BUCKETS,
  parseEvery,
} from '../../domain/query-limits.js';

/** `latest` is one batched read of the latest-values store for the whole page, not one per device. */
const LATEST_COST = 2;

type Args = Record<string, unknown>;

/**
 * The page a paged field will return: the larger of `first`/`last` as asked (the resolvers refuse
 * more than their maximum, so asking for more does no more work), else the resolver's default.
 */
function pageSize(args: Args, resolverDefault: number): number {
  const asked = [args.first, args.last].filter((n): n is number => typeof n === 'number');
  return asked.length > 0 ? Math.max(0, ...asked) : resolverDefault;
}

/** The resolvers drop repeated ids and metric names before doing any work. */
function distinctCount(list: unknown): number {
  return Array.isArray(list) ? new Set(list).size : 1;
}

/** The buckets the resolver would compute (at least one: it refuses an empty range itself). */
function telemetryBuckets(args: Args): number {
  const { from, to } = args;
  // Unknown range (cannot happen once DateTime coerced): the most the resolver would run.
  if (!(from instanceof Date) || !(to instanceof Date)) return MAX_BUCKETS;
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return MAX_BUCKETS;
  // maxPoints instead of every: at most that many (the resolver refuses more than MAX_BUCKETS).
  if (typeof args.maxPoints === 'number' && args.every == null) {
    return Math.min(Math.max(1, args.maxPoints), MAX_BUCKETS);
  }
  const width = parseEvery(String(args.every));
  // The resolver refuses this `every` (BAD_USER_INPUT) before reading anything.
  if ('problem' in width) return 1;
  return Math.max(1, bucketCount(from.getTime(), to.getTime(), width.ms));
}

/**
 * What a field costs besides the default (1 plus what it selects). A list that can reach a
 * Device multiplies what each item selects by how many items it returns; the telemetry reads
 * cost what they make the store compute or return.
 */
const FIELD_COSTS: Record<string, (args: Args, childComplexity: number) => number> = {
  'Query.devices': (args, child) => 1 + pageSize(args, DEFAULT_PAGE_SIZE) * child,
  'Query.alerts': (args, child) => 1 + pageSize(args, DEFAULT_ALERTS) * child,
  'Subscription.telemetry': (args, child) => 1 + distinctCount(args.deviceIds) * child,
  // One cell per metric and bucket: what the store aggregates (and `fill` returns).
  'Device.telemetry': (args, child) => distinctCount(args.metrics) * telemetryBuckets(args) + child,
  // Points are plain data below this field: the page is what the store reads.
  'Device.rawTelemetry': (args, child) => pageSize(args, DEFAULT_RAW_PAGE) + child,
  'Device.latest': (_args, child) => LATEST_COST + child,
  // A fleet's groups are known only once its devices are read: the resolver holds the answer
  // (groups × buckets × metrics) to the same limit then. Counted here as one group.
  'Fleet.telemetry': (args, child) => distinctCount(args.metrics) * telemetryBuckets(args) + child,
  'Fleet.latest': (_args, child) => LATEST_COST + child,
  'Fleet.top': (args, child) => 1 + (typeof args.n === 'number' ? Math.max(0, args.n) : 1) * child,
};

const fieldCosts: ComplexityEstimator = ({ type, field, args, childComplexity }) =>
  FIELD_COSTS[`${type.name}.${field.name}`]?.(args, childComplexity);

const ESTIMATORS = [fieldCosts, simpleEstimator({ defaultComplexity: 1 })];

/**
 * The cost of one operation with its variables (raw, as the client sent them: defaults are
 * applied here, like execution does). Throws a GraphQLError when the variables do not coerce,
 * or when fragments expand to more than the library's node limit (10,000).
 */
export function operationCost(options: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string;
  variables?: Record<string, unknown>;
}): number {
  return getComplexity({
    schema: options.schema,
    query: options.document,
    operationName: options.operationName,
    variables: options.variables,
    estimators: ESTIMATORS,
  });
}
