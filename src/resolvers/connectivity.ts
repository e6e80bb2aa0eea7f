import type { ConnectivityChange } from '../domain/connectivity.js';
import type { Device } from '../ports/device-repository.js';
import { deviceMatches } from './device-match.js';
import type { GraphQLContext } from '../schema/context.js';
import { toDeviceFilter, type DeviceFilterInput } from './devices.js';
import { checkHeartbeatTimeout, requireText } from './device-input.js';
import { liveStream } from './live.js';
import type { Fleet } from './fleet.js';

export function fleetConnectivity(context: GraphQLContext, fleet: Fleet) {
  return context.services.devices.countByConnectivity(context.viewer.organizationId, fleet.filter);
}

export function listDeviceTypes(context: GraphQLContext) {
  return context.services.devices.listDeviceTypes(context.viewer.organizationId);
}

export async function setDeviceType(
  context: GraphQLContext,
  input: { type: string; heartbeatTimeoutSeconds?: number | null },
) {
  const { organizationId } = context.viewer;
  await context.services.devices.ensureOrganization(organizationId, organizationId);
  return context.services.devices.setDeviceType(organizationId, {
    type: requireText(input.type, 'type', 64),
    heartbeatTimeoutSeconds:
      checkHeartbeatTimeout(input.heartbeatTimeoutSeconds, 'heartbeatTimeoutSeconds') ?? null,
  });
}

/** A transition as the subscription hands it to its fields, with the device as it is now. */
export interface ConnectivityEvent extends ConnectivityChange {
  device: Device;
}

/** The most transitions whose devices one read fetches (a sweep may raise thousands at once). */
const DEVICES_PER_READ = 1_000;

/**
 * Every connectivity transition of the caller's organization whose device matches the filter
 * (devices registered later included: each transition's device is read when it arrives).
 */
export function subscribeConnectivity(
  context: GraphQLContext,
  input: DeviceFilterInput | null | undefined,
): AsyncIterable<ConnectivityEvent> {
  const filter = toDeviceFilter(input);
  const { organizationId } = context.viewer;
  const { devices, live } = context.services;
  return liveStream<ConnectivityEvent>((push) => {
    // Transitions wait here while the devices of the ones before them are read: one read per
    // batch, in arrival order, so a device's ONLINE and OFFLINE arrive in their order.
    const pending: ConnectivityChange[] = [];
    let draining = false;
    async function drain() {
      draining = true;
      while (pending.length > 0) {
        const batch = pending.splice(0, DEVICES_PER_READ);
        try {
          // Read fresh, not through the request's loader: a subscription outlives any cache.
          const found = await devices.findDevices(
            organizationId,
            batch.map((change) => change.deviceId),
            { fresh: true },
          );
          batch.forEach((change, index) => {
            const device = found[index];
            if (!device) return; // deleted since
            // The transition's own state, not the one read (a later sweep may have moved on).
            const connectivity = { state: change.state, since: new Date(change.since) };
            const current = { ...device, connectivity };
            if (deviceMatches(current, filter)) push({ ...change, device: current });
          });
        } catch {
          // A failed read skips its batch; the next ones still come.
        }
      }
      draining = false;
    }
    return live.subscribeConnectivity(organizationId, (change) => {
      pending.push(change);
      if (!draining) void drain();
    });
  });
}
