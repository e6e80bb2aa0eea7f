import type { ConnectivityChange } from '../domain/connectivity.js';
import type { Device, DeviceFilter } from '../ports/device-repository.js';
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

/** Whether the device is one the filter selects, as the repository's filter would say. */
export function deviceMatches(device: Device, filter: DeviceFilter): boolean {
  if (filter.type !== undefined && device.type !== filter.type) return false;
  if (filter.status !== undefined && device.status !== filter.status) return false;
  if (filter.connectivity && !filter.connectivity.includes(device.connectivity.state)) return false;
  for (const [key, value] of Object.entries(filter.labels ?? {})) {
    if (device.labels[key] !== value) return false;
  }
  if (filter.search) {
    const needle = filter.search.toLowerCase();
    const found =
      device.name.toLowerCase().includes(needle) ||
      device.externalId.toLowerCase().includes(needle);
    if (!found) return false;
  }
  return true;
}

/** A transition as the subscription hands it to its fields, with the device as it is now. */
export interface ConnectivityEvent extends ConnectivityChange {
  device: Device;
}

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
    // One transition after the other, so a device's ONLINE and OFFLINE arrive in their order.
    let previous = Promise.resolve();
    return live.subscribeConnectivity(organizationId, (change) => {
      previous = previous.then(async () => {
        // Read fresh, not through the request's loader: a subscription outlives any cache of it.
        const [device] = await devices.findDevices(organizationId, [change.deviceId]);
        if (!device) return; // deleted since
        // The transition's own state, not the one read (a later sweep may have moved it on).
        const connectivity = { state: change.state, since: new Date(change.since) };
        const current = { ...device, connectivity };
        if (deviceMatches(current, filter)) push({ ...change, device: current });
      });
      // A failed read skips that transition; the next ones still come.
      previous = previous.catch(() => undefined);
    });
  });
}
