import { poolReadings, type Reading } from '../domain/pooled-readings.js';
import { compareMetricNames, type Aggregate, type ValueType } from '../domain/telemetry.js';
import type { GraphQLContext } from '../schema/context.js';
import { badUserInput } from './errors.js';
import type { Fleet } from './fleet.js';
import { keptLatest } from './telemetry.js';
import { checkGroupBy, groupMembers, type FleetGroupByInput } from './fleet-groups.js';
import {
  checkAggregates,
  checkAskedMetrics,
  refuseAggregatesOfWrongType,
} from './telemetry-arguments.js';

export interface FleetLatestArgs {
  metrics: string[];
  aggregates?: Aggregate[] | null;
  groupBy?: FleetGroupByInput | null;
}

/**
 * Per group, the aggregates of each device's newest value of each metric: "the total power of a
 * site now". One read of the latest values for the whole fleet (the same batched read a page of
 * devices makes). A metric no device of the group has sent is left out of the group's list.
 */
export async function fleetLatest(context: GraphQLContext, fleet: Fleet, args: FleetLatestArgs) {
  const metrics = checkAskedMetrics(args.metrics);
  const aggregates = checkAggregates(args.aggregates);
  const counter = aggregates.find((aggregate) => aggregate === 'increase' || aggregate === 'rate');
  if (counter) {
    throw badUserInput(
      `${counter.toUpperCase()} needs a range, of which a newest value has none: ask fleet.telemetry or fleet.top`,
      'aggregates',
    );
  }
  const groups = groupMembers(await fleet.members(), checkGroupBy(args.groupBy));
  const deviceIds = groups.flatMap((group) => group.deviceIds);
  // One batched read for the fleet (the loader batches the devices' loads).
  const latest = await Promise.all(deviceIds.map((deviceId) => keptLatest(context, deviceId)));
  const newest = new Map<string, Map<string, Reading>>();
  deviceIds.forEach((deviceId, index) => {
    const own = new Map<string, Reading>();
    for (const { metric, value, ts } of latest[index]!) own.set(metric, { deviceId, value, ts });
    newest.set(deviceId, own);
  });
  const byName = [...metrics].sort(compareMetricNames);
  return groups.map((group) => {
    const pooled = byName.flatMap((metric) => {
      const readings = group.deviceIds.flatMap((id) => newest.get(id)?.get(metric) ?? []);
      return readings.length === 0 ? [] : [{ metric, ...poolReadings(readings, aggregates) }];
    });
    const types = new Map(pooled.map(({ metric, types }) => [metric, new Set<ValueType>(types)]));
    refuseAggregatesOfWrongType(types, aggregates);
    return { group, metrics: pooled.map(({ metric, values }) => ({ metric, ...values })) };
  });
}
