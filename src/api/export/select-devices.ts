import { MAX_FLEET_DEVICES } from '../../domain/query-limits.js';
import type { DeviceRepository } from '../../ports/device-repository.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import type { DeviceSelection } from './parameters.js';

export type SelectedDevices =
  | { ok: true; deviceIds: string[] }
  | { ok: false; refusal: 'not-found' | 'too-many'; message: string };

/**
 * The organization's devices an export reads, by id. One device by id: another organization's
 * id, or one that is not a device id at all, is not found, like a missing one (tenancy at the
 * port). A filter: at most MAX_FLEET_DEVICES (a fleet question's limit), and of those only the
 * ones with a point in [from, to) (one store call), so a fleet of quiet devices costs no page
 * reads.
 */
export async function selectDevices(options: {
  devices: Pick<DeviceRepository, 'findDevices' | 'listFleet'>;
  telemetry: Pick<TelemetryStore, 'reportingDevices'>;
  orgId: string;
  selection: DeviceSelection;
  from: number;
  to: number;
}): Promise<SelectedDevices> {
  const { devices, telemetry, orgId, selection, from, to } = options;
  if (selection.kind === 'device') {
    const [device] = await devices.findDevices(orgId, [selection.deviceId]);
    if (!device) {
      return {
        ok: false,
        refusal: 'not-found',
        message: `device ${JSON.stringify(selection.deviceId.slice(0, 64))} not found`,
      };
    }
    return { ok: true, deviceIds: [device.id] };
  }
  const members = await devices.listFleet(orgId, selection.filter, MAX_FLEET_DEVICES + 1);
  if (members.length > MAX_FLEET_DEVICES) {
    return {
      ok: false,
      refusal: 'too-many',
      message: `the filter matches more than ${MAX_FLEET_DEVICES} devices, the most one export reads; narrow it (type, label, search, status) or export by deviceId`,
    };
  }
  if (members.length === 0) return { ok: true, deviceIds: [] };
  const ids = members.map((member) => member.id);
  const reporting = await telemetry.reportingDevices(orgId, ids, from, to);
  return { ok: true, deviceIds: ids.filter((id) => reporting.has(id)) };
}
