import { generateDeviceToken, hashDeviceToken } from '../auth/device-tokens.js';
import type { GraphQLContext } from '../schema/context.js';
import {
  DuplicateExternalIdError,
  type Device,
  type DeviceFilter,
  type DevicePatch,
  type DeviceStatus,
  type GeoLocation,
} from '../ports/device-repository.js';
import {
  checkHeartbeatTimeout,
  checkLocation,
  labelsToMap,
  requireText,
  type LabelInput,
} from './device-input.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../domain/query-limits.js';
import { badUserInput, conflict, notFound, pageSize, refuseBackwardPaging } from './errors.js';
import type { ConnectivityState } from '../domain/connectivity.js';

export interface DeviceFilterInput {
  type?: string | null;
  status?: DeviceStatus | null;
  labels?: LabelInput[] | null;
  search?: string | null;
  connectivity?: ConnectivityState[] | null;
}

export interface RegisterDeviceInput {
  externalId: string;
  name: string;
  type: string;
  labels?: LabelInput[] | null;
  location?: GeoLocation | null;
  heartbeatTimeoutSeconds?: number | null;
}

export interface UpdateDeviceInput {
  name?: string | null;
  type?: string | null;
  labels?: LabelInput[] | null;
  location?: GeoLocation | null;
  /** null: inherit the type's or the server's again; absent: unchanged. */
  heartbeatTimeoutSeconds?: number | null;
}

const encodeCursor = (id: string) => Buffer.from(`device:${id}`).toString('base64url');

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  if (!decoded.startsWith('device:')) throw badUserInput('after is not a valid cursor', 'after');
  return decoded.slice('device:'.length);
}

/** The filter as the repository takes it: empty parts left out. */
export function toDeviceFilter(input: DeviceFilterInput | null | undefined): DeviceFilter {
  const filter: DeviceFilter = {};
  if (input?.type) filter.type = input.type;
  if (input?.status) filter.status = input.status;
  if (input?.labels?.length) filter.labels = labelsToMap(input.labels, 'filter.labels');
  if (input?.search) filter.search = input.search;
  if (input?.connectivity) filter.connectivity = [...new Set(input.connectivity)];
  return filter;
}

export async function listDevices(
  context: GraphQLContext,
  args: {
    first?: number | null;
    after?: string | null;
    last?: number | null;
    before?: string | null;
    filter?: DeviceFilterInput | null;
  },
) {
  refuseBackwardPaging(args);
  const first = pageSize(args.first, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const page = await context.services.devices.listDevices({
    organizationId: context.viewer.organizationId,
    filter: toDeviceFilter(args.filter),
    first,
    after: args.after ? decodeCursor(args.after) : undefined,
  });
  for (const device of page.devices) context.loaders.device.prime(device.id, device);
  const edges = page.devices.map((device) => ({ cursor: encodeCursor(device.id), node: device }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export async function getDevice(context: GraphQLContext, id: string): Promise<Device> {
  const device = await context.loaders.device.load(id);
  if (!device) throw notFound(`device ${id}`);
  return device;
}

export async function registerDevice(context: GraphQLContext, input: RegisterDeviceInput) {
  const token = generateDeviceToken();
  // Organizations come from the identity provider's claims; the first device registered in
  // one provisions its row (named by its id until renamed).
  const { organizationId } = context.viewer;
  await context.services.devices.ensureOrganization(organizationId, organizationId);
  try {
    const device = await context.services.devices.createDevice(
      {
        organizationId: context.viewer.organizationId,
        externalId: requireText(input.externalId, 'externalId', 128),
        name: requireText(input.name, 'name', 200),
        type: requireText(input.type, 'type', 64),
        labels: labelsToMap(input.labels ?? []),
        location: checkLocation(input.location),
        heartbeatTimeoutSeconds:
          checkHeartbeatTimeout(input.heartbeatTimeoutSeconds, 'heartbeatTimeoutSeconds') ?? null,
      },
      hashDeviceToken(token),
    );
    return { device, token };
  } catch (error) {
    if (error instanceof DuplicateExternalIdError) throw conflict(error.message);
    throw error;
  }
}

async function patchDevice(context: GraphQLContext, id: string, patch: DevicePatch) {
  const device = await context.services.devices.updateDevice(
    context.viewer.organizationId,
    id,
    patch,
  );
  if (!device) throw notFound(`device ${id}`);
  return device;
}

export function updateDevice(context: GraphQLContext, id: string, input: UpdateDeviceInput) {
  const patch: DevicePatch = {};
  if (input.name != null) patch.name = requireText(input.name, 'name', 200);
  if (input.type != null) patch.type = requireText(input.type, 'type', 64);
  if (input.labels != null) patch.labels = labelsToMap(input.labels);
  if (input.location !== undefined) patch.location = checkLocation(input.location);
  if (input.heartbeatTimeoutSeconds !== undefined) {
    patch.heartbeatTimeoutSeconds = checkHeartbeatTimeout(
      input.heartbeatTimeoutSeconds,
      'heartbeatTimeoutSeconds',
    );
  }
  return patchDevice(context, id, patch);
}

export function setDeviceStatus(context: GraphQLContext, id: string, status: DeviceStatus) {
  return patchDevice(context, id, { status });
}

export async function rotateDeviceToken(
  context: GraphQLContext,
  id: string,
  gracePeriodSeconds?: number | null,
) {
  const grace = gracePeriodSeconds ?? context.settings.deviceTokenGraceSeconds;
  if (grace < 0 || grace > 30 * 86_400) {
    throw badUserInput(
      'gracePeriodSeconds must be between 0 and 2592000 (30 days)',
      'gracePeriodSeconds',
    );
  }
  const token = generateDeviceToken();
  const device = await context.services.devices.rotateCredential(
    context.viewer.organizationId,
    id,
    hashDeviceToken(token),
    grace,
  );
  if (!device) throw notFound(`device ${id}`);
  return { device, token };
}
