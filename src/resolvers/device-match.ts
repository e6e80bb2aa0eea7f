import type { Device, DeviceFilter } from '../ports/device-repository.js';

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
