import { MAX_FLEET_DEVICES } from '../domain/query-limits.js';
import type { DeviceFilter, FleetMember } from '../ports/device-repository.js';
import type { GraphQLContext } from '../schema/context.js';
import { toDeviceFilter, type DeviceFilterInput } from './devices.js';
import { badUserInput } from './errors.js';
import { checkRange, keptRange } from './telemetry-arguments.js';
import { retentionIn } from './retention.js';

/** What `Query.fleet` hands its fields: the filter, and its devices read once when first asked. */
export interface Fleet {
  filter: DeviceFilter;
  /** The devices the filter matches, at most MAX_FLEET_DEVICES (BAD_USER_INPUT past it). */
  members(): Promise<FleetMember[]>;
}

export function openFleet(context: GraphQLContext, input: DeviceFilterInput | null | undefined) {
  const filter = toDeviceFilter(input);
  let members: Promise<FleetMember[]> | undefined;
  const fleet: Fleet = {
    filter,
    members: () => (members ??= readMembers(context, filter)),
  };
  return fleet;
}

async function readMembers(context: GraphQLContext, filter: DeviceFilter) {
  const members = await context.services.devices.listFleet(
    context.viewer.organizationId,
    filter,
    MAX_FLEET_DEVICES + 1,
  );
  if (members.length > MAX_FLEET_DEVICES) {
    throw badUserInput(
      `the filter matches more than ${MAX_FLEET_DEVICES} devices, the most one fleet question pools; narrow the filter`,
      'filter',
    );
  }
  return members;
}

export function fleetDeviceCount(context: GraphQLContext, fleet: Fleet) {
  return context.services.devices.countDevices(context.viewer.organizationId, fleet.filter);
}

export async function fleetReporting(
  context: GraphQLContext,
  fleet: Fleet,
  args: { from: Date; to: Date },
) {
  const range = checkRange(args.from, args.to);
  const members = await fleet.members();
  const kept = keptRange(await retentionIn(context), range);
  if (members.length === 0 || !kept) return 0;
  const reporting = await context.services.telemetry.reportingDevices(
    context.viewer.organizationId,
    members.map((member) => member.id),
    kept.from,
    kept.to,
  );
  return reporting.size;
}
