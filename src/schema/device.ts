import { isFromMetadataCache } from '../ports/device-metadata-versions.js';
import type { Device, DeviceActivity } from '../ports/device-repository.js';
import {
  getDevice,
  listDevices,
  registerDevice,
  rotateDeviceToken,
  setDeviceStatus,
  updateDevice,
} from '../resolvers/devices.js';
import { builder } from './builder.js';
import type { GraphQLContext } from './context.js';
import { ConnectivityStateEnum, DeviceConnectivityRef } from './connectivity.js';
import { subscribeConnectivity, type ConnectivityEvent } from '../resolvers/connectivity.js';

export const DeviceStatusEnum = builder.enumType('DeviceStatus', {
  values: {
    ACTIVE: { description: 'Accepts telemetry.' },
    DISABLED: { description: 'Telemetry is refused with 403 until the device is enabled.' },
  },
});

export const Label = builder.objectRef<{ key: string; value: string }>('Label').implement({
  fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }),
});

export const LabelInput = builder.inputType('LabelInput', {
  fields: (t) => ({ key: t.string({ required: true }), value: t.string({ required: true }) }),
});

const Location = builder
  .objectRef<{ latitude: number; longitude: number; altitude?: number | null }>('Location')
  .implement({
    fields: (t) => ({
      latitude: t.exposeFloat('latitude'),
      longitude: t.exposeFloat('longitude'),
      altitude: t.exposeFloat('altitude', { nullable: true }),
    }),
  });

const LocationInput = builder.inputType('LocationInput', {
  fields: (t) => ({
    latitude: t.float({ required: true, description: 'Degrees, within ±90.' }),
    longitude: t.float({ required: true, description: 'Degrees, within ±180.' }),
    altitude: t.float({ description: 'Metres, within ±1,000,000.' }),
  }),
});

/**
 * `pick` of the device's activity: its own, or, when its metadata came from the cache, read
 * afresh (as cached if the device is gone since). Synchronous when nothing is read.
 */
function withActivity<T>(
  context: GraphQLContext,
  device: Device,
  pick: (activity: DeviceActivity) => T,
): T | Promise<T> {
  if (!isFromMetadataCache(device)) return pick(device);
  return context.loaders.activity.load(device.id).then((fresh) => pick(fresh ?? device));
}

export const DeviceRef = builder.objectRef<Device>('Device').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    externalId: t.exposeString('externalId', {
      description: "The device's own id, unique per organization.",
    }),
    name: t.exposeString('name'),
    type: t.exposeString('type'),
    labels: t.field({
      type: [Label],
      resolve: (device) => Object.entries(device.labels).map(([key, value]) => ({ key, value })),
    }),
    location: t.field({ type: Location, nullable: true, resolve: (device) => device.location }),
    status: t.field({ type: DeviceStatusEnum, resolve: (device) => device.status }),
    lastSeenAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        "When the server received the device's newest point (not the point's own time), written behind within LAST_SEEN_FLUSH_MS.",
      resolve: (device, _args, context) =>
        withActivity(context, device, (activity) => activity.lastSeenAt),
    }),
    connectivity: t.field({
      type: DeviceConnectivityRef,
      resolve: (device, _args, context) =>
        withActivity(context, device, (activity) => activity.connectivity),
    }),
    heartbeatTimeoutSeconds: t.exposeInt('heartbeatTimeoutSeconds', {
      nullable: true,
      description:
        "The device's own heartbeat timeout; null: its type's (deviceTypes), else the server's.",
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (device) => device.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (device) => device.updatedAt }),
  }),
});

export const DeviceFilter = builder.inputType('DeviceFilter', {
  fields: (t) => ({
    type: t.string(),
    status: t.field({ type: DeviceStatusEnum }),
    labels: t.field({ type: [LabelInput], description: 'Every pair must match.' }),
    search: t.string({ description: 'Case-insensitive part of the name or externalId.' }),
    connectivity: t.field({
      type: [ConnectivityStateEnum],
      description: 'Any of these states.',
    }),
  }),
});

builder.queryFields((t) => ({
  devices: t.connection({
    type: DeviceRef,
    authScopes: { permission: 'devices:read' },
    description: "The caller's devices, ordered by id.",
    args: { filter: t.arg({ type: DeviceFilter }) },
    resolve: (_root, args, context) => listDevices(context, args),
  }),
  device: t.field({
    type: DeviceRef,
    authScopes: { permission: 'devices:read' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => getDevice(context, String(args.id)),
  }),
}));

const DeviceWithToken = builder
  .objectRef<{ device: Device; token: string }>('DeviceWithToken')
  .implement({
    fields: (t) => ({
      device: t.field({ type: DeviceRef, resolve: (payload) => payload.device }),
      token: t.exposeString('token', {
        description: 'The device token, shown only this once; the server keeps only its hash.',
      }),
    }),
  });

const RegisterDeviceInput = builder.inputType('RegisterDeviceInput', {
  fields: (t) => ({
    externalId: t.string({ required: true }),
    name: t.string({ required: true }),
    type: t.string({ required: true }),
    labels: t.field({ type: [LabelInput] }),
    location: t.field({ type: LocationInput }),
    heartbeatTimeoutSeconds: t.int({
      description: "1 to 2592000 (30 days); omitted or null: the type's, else the server's.",
    }),
  }),
});

const UpdateDeviceInput = builder.inputType('UpdateDeviceInput', {
  fields: (t) => ({
    name: t.string(),
    type: t.string(),
    labels: t.field({ type: [LabelInput], description: 'Replaces all labels.' }),
    location: t.field({ type: LocationInput }),
    heartbeatTimeoutSeconds: t.int({
      description: "1 to 2592000 (30 days); null: the type's, else the server's, again.",
    }),
  }),
});

builder.mutationFields((t) => ({
  registerDevice: t.field({
    type: DeviceWithToken,
    authScopes: { permission: 'devices:manage' },
    args: { input: t.arg({ type: RegisterDeviceInput, required: true }) },
    resolve: (_root, args, context) => registerDevice(context, args.input),
  }),
  updateDevice: t.field({
    type: DeviceRef,
    authScopes: { permission: 'devices:manage' },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateDeviceInput, required: true }),
    },
    resolve: (_root, args, context) => updateDevice(context, String(args.id), args.input),
  }),
  disableDevice: t.field({
    type: DeviceRef,
    authScopes: { permission: 'devices:manage' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => setDeviceStatus(context, String(args.id), 'DISABLED'),
  }),
  enableDevice: t.field({
    type: DeviceRef,
    authScopes: { permission: 'devices:manage' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => setDeviceStatus(context, String(args.id), 'ACTIVE'),
  }),
  rotateDeviceToken: t.field({
    type: DeviceWithToken,
    authScopes: { permission: 'devices:manage' },
    description:
      'Issues a new token (shown once). The old ones keep working for the grace period, then stop.',
    args: {
      id: t.arg.id({ required: true }),
      gracePeriodSeconds: t.arg.int({
        description:
          'How long the old tokens stay valid: 0 revokes them at once (a leaked token). Defaults to the server setting DEVICE_TOKEN_GRACE_SECONDS.',
      }),
    },
    resolve: (_root, args, context) =>
      rotateDeviceToken(context, String(args.id), args.gracePeriodSeconds),
  }),
}));

const ConnectivityEventRef = builder
  .objectRef<ConnectivityEvent>('DeviceConnectivityEvent')
  .implement({
    description: "A device's move from one connectivity state to another.",
    fields: (t) => ({
      deviceId: t.exposeID('deviceId'),
      device: t.field({
        type: DeviceRef,
        description: 'The device as it was when the transition arrived.',
        resolve: (event) => event.device,
      }),
      state: t.field({ type: ConnectivityStateEnum, resolve: (event) => event.state }),
      previous: t.field({ type: ConnectivityStateEnum, resolve: (event) => event.previous }),
      since: t.field({
        type: 'DateTime',
        description: 'When the new state began (DeviceConnectivity.since).',
        resolve: (event) => new Date(event.since),
      }),
    }),
  });

builder.subscriptionField('deviceConnectivity', (t) =>
  t.field({
    type: ConnectivityEventRef,
    authScopes: { permission: 'devices:read' },
    description:
      "Each connectivity transition of the organization's devices that match the filter (devices registered later included), as the pipeline raises it: once, however many pipeline replicas run, and on time with no traffic at all.",
    args: { filter: t.arg({ type: DeviceFilter }) },
    subscribe: (_root, args, context) => subscribeConnectivity(context, args.filter),
    resolve: (event) => event,
  }),
);
