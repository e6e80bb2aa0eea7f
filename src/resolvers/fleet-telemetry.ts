import { MAX_FLEET_CELLS } from '../domain/query-limits.js';
import type { Bucket } from '../domain/telemetry.js';
import type { GraphQLContext } from '../schema/context.js';
import { badUserInput } from './errors.js';
import type { Fleet } from './fleet.js';
import {
  checkGroupBy,
  groupMembers,
  type FleetGroup,
  type FleetGroupByInput,
} from './fleet-groups.js';
import type { Window } from './telemetry-arguments.js';
import { checkTelemetryQuestion, seriesForGraphQL, type TelemetryArgs } from './telemetry.js';

export interface FleetTelemetryArgs extends TelemetryArgs {
  groupBy?: FleetGroupByInput | null;
}

/**
 * Pooled series of the fleet's groups: a bucket's aggregates are over every point of every device
 * of the group in it (the store computes them in one pass). Grouped by device, each device is its
 * own group and FIRST and LAST are its own; pooled, they would pick one device's value among many
 * at the same time, so they are refused there.
 */
export async function fleetTelemetry(
  context: GraphQLContext,
  fleet: Fleet,
  args: FleetTelemetryArgs,
) {
  const question = await checkTelemetryQuestion(context, args);
  const { window, metrics, aggregates, percentiles, counterFrom } = question;
  const grouping = checkGroupBy(args.groupBy);
  if (grouping.by !== 'DEVICE') {
    const end = aggregates.find((aggregate) => aggregate === 'first' || aggregate === 'last');
    if (end) {
      throw badUserInput(
        `${end.toUpperCase()} is per device: group by device, or ask fleet.latest for the newest values`,
        'aggregates',
      );
    }
  }
  const members = await fleet.members();
  const groups = groupMembers(members, grouping);
  checkSize(context, { devices: members.length, groups: groups.length, metrics, window });

  // One store question per run of equal buckets, each over every device at once.
  const runs = await Promise.all(
    question.runs.map((run) => {
      if (members.length === 0) return new Map<string, Bucket[]>();
      const asked = {
        orgId: context.viewer.organizationId,
        metrics,
        ...run,
        counterFrom,
        aggregates,
        percentiles,
      };
      if (grouping.by === 'DEVICE') {
        return context.services.telemetry.aggregateDevices({
          ...asked,
          deviceIds: members.map((member) => member.id),
        });
      }
      return context.services.telemetry.aggregateGroups({
        ...asked,
        groups: groups.map((group, index) => ({
          key: groupKey(group, index),
          deviceIds: group.deviceIds,
        })),
      });
    }),
  );
  const series = groups.map((group, index) => ({
    group,
    buckets: seriesForGraphQL(
      runs.flatMap((stored) => stored.get(groupKey(group, index)) ?? []),
      question,
      args.fill,
    ),
  }));
  return { from: args.from, to: args.to, every: window.every, timeZone: window.timeZone, series };
}

/** How the store's answer names a group: a device by its id, any other group by its position. */
const groupKey = (group: FleetGroup, index: number) =>
  group.by === 'DEVICE' ? group.value! : String(index);

/**
 * BAD_USER_INPUT past either bound: the cells the store aggregates (devices × buckets × metrics)
 * and the cells the answer holds (groups × buckets × metrics, against the operation cost limit,
 * which could not count the groups before the fleet was read).
 */
function checkSize(
  context: GraphQLContext,
  size: { devices: number; groups: number; metrics: readonly string[]; window: Window },
) {
  const { devices, groups, metrics } = size;
  const window = { every: size.window.every, buckets: size.window.starts.length };
  const scanned = devices * window.buckets * metrics.length;
  if (scanned > MAX_FLEET_CELLS) {
    throw badUserInput(
      `the question pools ${devices} devices × ${window.buckets} buckets of ${window.every} × ${metrics.length} metrics = ${scanned} cells, more than ${MAX_FLEET_CELLS}; narrow the filter or the range, or widen the window`,
      'metrics',
    );
  }
  const answered = groups * window.buckets * metrics.length;
  if (answered > context.settings.maxCost) {
    throw badUserInput(
      `the answer would hold ${groups} groups × ${window.buckets} buckets of ${window.every} × ${metrics.length} metrics = ${answered} cells, more than the cost limit of ${context.settings.maxCost}; group more coarsely, narrow the range or widen the window`,
      'groupBy',
    );
  }
}
