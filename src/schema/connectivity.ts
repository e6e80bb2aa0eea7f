import type { Connectivity } from '../domain/connectivity.js';
import type { DeviceTypeSettings } from '../ports/device-repository.js';
import { listDeviceTypes, setDeviceType } from '../resolvers/connectivity.js';
import { builder } from './builder.js';

export const ConnectivityStateEnum = builder.enumType('ConnectivityState', {
  description:
    "Whether a device has been heard from within its heartbeat timeout (its own, else its type's, else the server's HEARTBEAT_TIMEOUT_SECONDS). Heard from: the server received a point from it, whatever the point's own time.",
  values: {
    NEVER_SEEN: { description: 'No point received yet.' },
    ONLINE: { description: 'A point received within the heartbeat timeout.' },
    OFFLINE: { description: 'Silent for longer than the heartbeat timeout.' },
  },
});

export const DeviceConnectivityRef = builder
  .objectRef<Connectivity>('DeviceConnectivity')
  .implement({
    description: "A device's connectivity and since when it has held.",
    fields: (t) => ({
      state: t.field({ type: ConnectivityStateEnum, resolve: (c) => c.state }),
      since: t.field({
        type: 'DateTime',
        description:
          'ONLINE: when it was heard from again (within the last-seen flush interval, LAST_SEEN_FLUSH_MS); OFFLINE: when its timeout ran out; NEVER_SEEN: when it was registered.',
        resolve: (c) => c.since,
      }),
    }),
  });

export const ConnectivityCountsRef = builder
  .objectRef<Record<'NEVER_SEEN' | 'ONLINE' | 'OFFLINE', number>>('ConnectivityCounts')
  .implement({
    description: 'How many devices are in each connectivity state.',
    fields: (t) => ({
      online: t.int({ resolve: (counts) => counts.ONLINE }),
      offline: t.int({ resolve: (counts) => counts.OFFLINE }),
      neverSeen: t.int({ resolve: (counts) => counts.NEVER_SEEN }),
    }),
  });

const DeviceTypeRef = builder.objectRef<DeviceTypeSettings>('DeviceType').implement({
  description: "The organization's settings for its devices of one type.",
  fields: (t) => ({
    type: t.exposeString('type'),
    heartbeatTimeoutSeconds: t.exposeInt('heartbeatTimeoutSeconds', {
      nullable: true,
      description:
        "The heartbeat timeout of the type's devices that set none of their own; null: the server's.",
    }),
  }),
});

const SetDeviceTypeInput = builder.inputType('SetDeviceTypeInput', {
  fields: (t) => ({
    type: t.string({ required: true }),
    heartbeatTimeoutSeconds: t.int({
      description:
        "1 to 2592000 (30 days); null: the server's. Applies at once to the type's devices.",
    }),
  }),
});

builder.queryFields((t) => ({
  deviceTypes: t.field({
    type: [DeviceTypeRef],
    authScopes: { permission: 'devices:read' },
    description: "Every type the organization's devices have, or has settings for, by name.",
    resolve: (_root, _args, context) => listDeviceTypes(context),
  }),
}));

builder.mutationFields((t) => ({
  setDeviceType: t.field({
    type: DeviceTypeRef,
    authScopes: { permission: 'devices:manage' },
    args: { input: t.arg({ type: SetDeviceTypeInput, required: true }) },
    resolve: (_root, args, context) => setDeviceType(context, args.input),
  }),
}));
