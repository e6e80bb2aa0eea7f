import { MAX_FLEET_DEVICES } from '../domain/query-limits.js';
import type { TelemetryPoint } from '../domain/telemetry.js';
import type { DeviceFilter } from '../ports/device-repository.js';
import type { GraphQLContext } from '../schema/context.js';
import { deviceMatches } from './device-match.js';
import { badUserInput, notFound } from './errors.js';

const MAX_DEVICES_PER_SUBSCRIPTION = 100;
/** How long a filter subscription trusts what it read of a device (its labels, type, status). */
const DEVICE_RECHECK_MS = 10_000;
/** The most devices one read of a filter subscription fetches. */
const DEVICES_PER_READ = 1_000;
/** Decisions kept before the expired ones are swept out. */
const MAX_DECISIONS = 10_000;
/** Points of not yet read devices waiting, per subscription, before the oldest are dropped. */
const MAX_WAITING_POINTS = 10_000;

type Listener = (point: TelemetryPoint) => void;

/** The devices a telemetry subscription follows. */
export interface LiveDevices {
  /** Listens to their points (in each device's order); resolves to the stop function. */
  listen(listener: Listener): Promise<() => void>;
  /** The devices it follows now, for reading what they stored since a time. */
  current(): Promise<string[]>;
}

/** Named devices, each checked first: an unknown or foreign id is NOT_FOUND, like a query. */
export async function namedDevices(
  context: GraphQLContext,
  deviceIds: readonly string[],
): Promise<LiveDevices> {
  const ids = [...new Set(deviceIds)];
  if (ids.length === 0 || ids.length > MAX_DEVICES_PER_SUBSCRIPTION) {
    throw badUserInput(
      `deviceIds must name 1 to ${MAX_DEVICES_PER_SUBSCRIPTION} devices`,
      'deviceIds',
    );
  }
  const devices = await context.loaders.device.loadMany(ids);
  devices.forEach((device, index) => {
    if (!device || device instanceof Error) throw notFound(`device ${ids[index]}`);
  });
  const { organizationId } = context.viewer;
  return {
    async listen(listener) {
      const stops = await Promise.all(
        ids.map((id) => context.services.live.subscribe(organizationId, id, listener)),
      );
      return () => {
        for (const stop of stops) stop();
      };
    },
    current: async () => ids,
  };
}

/**
 * The organization's devices the filter matches, devices registered later included: every point
 * of the organization is offered, and its device read (in batches, fresh from the repository,
 * then trusted for DEVICE_RECHECK_MS) to decide. Points wait while their device is read, so each
 * device's points keep their order; a failed read drops the points waiting on it.
 */
export function filteredDevices(context: GraphQLContext, filter: DeviceFilter): LiveDevices {
  const { organizationId } = context.viewer;
  const { devices, live } = context.services;
  return {
    async listen(listener) {
      const decided = new Map<string, { matches: boolean; until: number }>();
      const known = (deviceId: string) => {
        const decision = decided.get(deviceId);
        return decision && decision.until > Date.now() ? decision : undefined;
      };
      const waiting: TelemetryPoint[] = [];
      let reading = false;

      async function readWaitingDevices() {
        reading = true;
        while (waiting.length > 0) {
          const unread = [...new Set(waiting.map((point) => point.deviceId))]
            .filter((deviceId) => !known(deviceId))
            .slice(0, DEVICES_PER_READ);
          if (decided.size > MAX_DECISIONS) {
            for (const [deviceId, decision] of decided) {
              if (decision.until <= Date.now()) decided.delete(deviceId);
            }
          }
          if (unread.length > 0) {
            const until = Date.now() + DEVICE_RECHECK_MS;
            try {
              const found = await devices.findDevices(organizationId, unread, { fresh: true });
              unread.forEach((deviceId, index) => {
                const device = found[index];
                decided.set(deviceId, {
                  matches: !!device && deviceMatches(device, filter),
                  until,
                });
              });
            } catch {
              // The repository is away: these points are dropped, the devices read again later.
              const unreadSet = new Set(unread);
              for (let i = waiting.length - 1; i >= 0; i--) {
                if (unreadSet.has(waiting[i]!.deviceId)) waiting.splice(i, 1);
              }
            }
          }
          // Everything whose device is decided, up to the first that is not, in arrival order.
          while (waiting.length > 0) {
            const decision = known(waiting[0]!.deviceId);
            if (!decision) break;
            const point = waiting.shift()!;
            if (decision.matches) listener(point);
          }
        }
        reading = false;
      }

      return live.subscribeOrganization(organizationId, (point) => {
        const decision = waiting.length === 0 ? known(point.deviceId) : undefined;
        if (decision) {
          if (decision.matches) listener(point);
          return;
        }
        waiting.push(point);
        if (waiting.length > MAX_WAITING_POINTS) waiting.shift();
        if (!reading) void readWaitingDevices();
      });
    },
    async current() {
      const members = await devices.listFleet(organizationId, filter, MAX_FLEET_DEVICES + 1);
      if (members.length > MAX_FLEET_DEVICES) {
        throw badUserInput(
          `since needs the filter to match at most ${MAX_FLEET_DEVICES} devices, the most one read covers; narrow the filter`,
          'since',
        );
      }
      return members.map((member) => member.id);
    },
  };
}
