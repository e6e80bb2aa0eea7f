import { MAX_EVERY_MS, MAX_TOP } from '../domain/query-limits.js';
import type { Aggregate } from '../domain/telemetry.js';
import type { GraphQLContext } from '../schema/context.js';
import { badUserInput, finiteOrRefused } from './errors.js';
import type { Fleet } from './fleet.js';
import {
  checkMetricName,
  checkRange,
  keptRun,
  refuseAggregatesOfWrongType,
  typesInBuckets,
} from './telemetry-arguments.js';
import { retentionIn } from './retention.js';

export interface FleetTopArgs {
  metric: string;
  aggregate: Aggregate;
  from: Date;
  to: Date;
  n: number;
  order?: 'ASC' | 'DESC' | null;
}

/**
 * The fleet's devices ranked by one aggregate of one metric over [from, to): the store computes
 * every device's aggregate in one pass, as one bucket spanning exactly the range. Devices without
 * a value in the range are not ranked; equal values are ordered by device id.
 */
export async function fleetTop(context: GraphQLContext, fleet: Fleet, args: FleetTopArgs) {
  const range = checkRange(args.from, args.to);
  if (range.to - range.from > MAX_EVERY_MS) {
    throw badUserInput('the range of top must be at most 5200w (about 100 years)', 'to');
  }
  if (!Number.isInteger(args.n) || args.n < 1 || args.n > MAX_TOP) {
    throw badUserInput(`n must be between 1 and ${MAX_TOP}`, 'n');
  }
  const { metric, aggregate } = args;
  checkMetricName(metric, 'metric');
  const members = await fleet.members();
  // One bucket spanning exactly the range: whole, from the rollups when they answer it.
  const asked = { aggregates: [aggregate], percentiles: [] };
  const kept = keptRun(
    await retentionIn(context),
    { ...range, every: range.to - range.from, origin: range.from },
    asked,
  );
  if (members.length === 0 || !kept) return [];
  const byDevice = await context.services.telemetry.aggregateDevices({
    orgId: context.viewer.organizationId,
    deviceIds: members.map((member) => member.id),
    metrics: [metric],
    from: kept.from,
    to: kept.to,
    every: kept.to - kept.from,
    origin: kept.from,
    aggregates: [aggregate],
  });
  refuseAggregatesOfWrongType(typesInBuckets(byDevice.values(), [metric]), [aggregate]);
  const ranked: { deviceId: string; value: number }[] = [];
  for (const [deviceId, [bucket]] of byDevice) {
    const value = bucket?.values[metric]?.[aggregate];
    if (value === null || value === undefined) continue;
    if (typeof value !== 'number') {
      throw badUserInput(
        `top ranks numbers; ${aggregate.toUpperCase()} of "${metric}" is a ${typeof value} for some devices`,
        'aggregate',
      );
    }
    ranked.push({ deviceId, value });
  }
  const direction = args.order === 'ASC' ? 1 : -1;
  ranked.sort(
    (a, b) =>
      direction * (a.value - b.value) ||
      (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0),
  );
  return ranked
    .slice(0, args.n)
    .map((ranking) => ({ ...ranking, value: finiteOrRefused(ranking.value, aggregate, metric) }));
}
