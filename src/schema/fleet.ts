import type { FleetGroup } from '../resolvers/fleet-groups.js';
import { fleetDeviceCount, fleetReporting, openFleet, type Fleet } from '../resolvers/fleet.js';
import { fleetLatest } from '../resolvers/fleet-latest.js';
import { subscribeFleetLatest, type FleetLatestUpdate } from '../resolvers/live-fleet-latest.js';
import { fleetTelemetry } from '../resolvers/fleet-telemetry.js';
import { fleetTop } from '../resolvers/fleet-top.js';
import { fleetConnectivity } from '../resolvers/connectivity.js';
import { builder } from './builder.js';
import { ConnectivityCountsRef } from './connectivity.js';
import { DeviceFilter, DeviceRef } from './device.js';
import { AggregateEnum, MetricAggregates, TELEMETRY_ARGS, TelemetryBucket } from './telemetry.js';

const FleetGroupingEnum = builder.enumType('FleetGrouping', {
  description: 'What the devices of a fleet answer are grouped by.',
  values: {
    FLEET: { description: 'Not grouped: the whole fleet is one group.' },
    LABEL: { description: 'The value of one label.' },
    TYPE: { description: 'The device type.' },
    DEVICE: { description: 'Each device is its own group.' },
  },
});

const FleetGroupByInput = builder.inputType('FleetGroupBy', {
  description: 'Exactly one of: `{ label: "site" }`, `{ type: true }`, `{ device: true }`.',
  isOneOf: true,
  fields: (t) => ({
    label: t.string({
      description: 'A label key: one group per value, and one (value null) for devices without it.',
    }),
    type: t.boolean({ description: 'true: one group per device type.' }),
    device: t.boolean({ description: 'true: one group per device.' }),
  }),
});

const SortOrderEnum = builder.enumType('SortOrder', {
  values: {
    ASC: { description: 'Smallest first.' },
    DESC: { description: 'Largest first.' },
  },
});

const FleetGroupRef = builder.objectRef<FleetGroup>('FleetGroup').implement({
  description: 'One group of a fleet answer: what it groups by, and how many devices it pools.',
  fields: (t) => ({
    by: t.field({ type: FleetGroupingEnum, resolve: (group) => group.by }),
    label: t.exposeString('label', {
      nullable: true,
      description: 'The label key, when grouped by label.',
    }),
    value: t.exposeString('value', {
      nullable: true,
      description:
        "The label's value, the device type, or the device id; null for the group of devices without the label, and for the whole fleet.",
    }),
    device: t.field({
      type: DeviceRef,
      nullable: true,
      description: 'The device, when grouped by device.',
      resolve: (group, _args, context) =>
        group.by === 'DEVICE' ? context.loaders.device.load(group.value!) : null,
    }),
    deviceCount: t.int({
      description: 'How many devices of the fleet are in the group.',
      resolve: (group) => group.deviceIds.length,
    }),
  }),
});

type FleetTelemetryAnswer = Awaited<ReturnType<typeof fleetTelemetry>>;

const FleetSeries = builder
  .objectRef<FleetTelemetryAnswer['series'][number]>('FleetSeries')
  .implement({
    description: "One group's buckets over the range.",
    fields: (t) => ({
      group: t.field({ type: FleetGroupRef, resolve: (series) => series.group }),
      buckets: t.field({ type: [TelemetryBucket], resolve: (series) => series.buckets }),
    }),
  });

const FleetTelemetryRef = builder.objectRef<FleetTelemetryAnswer>('FleetTelemetry').implement({
  description: 'A fleet question over a range: the window it used and one series per group.',
  fields: (t) => ({
    from: t.field({ type: 'DateTime', resolve: (answer) => answer.from }),
    to: t.field({ type: 'DateTime', resolve: (answer) => answer.to }),
    every: t.exposeString('every', {
      description: 'The bucket width used: `every` as given, or the one `maxPoints` chose.',
    }),
    timeZone: t.exposeString('timeZone', {
      description: 'The time zone buckets are aligned in, as given (UTC by default).',
    }),
    series: t.field({
      type: [FleetSeries],
      description:
        "One per group, in the order of the groups' values (devices without the label last).",
      resolve: (answer) => answer.series,
    }),
  }),
});

const FleetLatestGroup = builder
  .objectRef<Awaited<ReturnType<typeof fleetLatest>>[number]>('FleetLatestGroup')
  .implement({
    description:
      "One group's aggregates of its devices' newest values (a metric none of them has sent is left out).",
    fields: (t) => ({
      group: t.field({ type: FleetGroupRef, resolve: (latest) => latest.group }),
      metrics: t.field({ type: [MetricAggregates], resolve: (latest) => latest.metrics }),
    }),
  });

const DeviceRanking = builder
  .objectRef<{ deviceId: string; value: number }>('DeviceRanking')
  .implement({
    description: "A device's place in `top`: the device and its aggregate over the range.",
    fields: (t) => ({
      device: t.field({
        type: DeviceRef,
        // Devices are never deleted, and the ranking's came from the caller's organization.
        resolve: async (ranking, _args, context) =>
          (await context.loaders.device.load(ranking.deviceId)) ??
          Promise.reject(new Error(`ranked device ${ranking.deviceId} not found`)),
      }),
      deviceId: t.exposeID('deviceId'),
      value: t.exposeFloat('value'),
    }),
  });

const TELEMETRY_READ = { permission: 'telemetry:read' } as const;

const FleetRef = builder.objectRef<Fleet>('Fleet').implement({
  description:
    "The caller's devices that match a filter, asked about as one: counts, and analytics pooled over every point of every device (a mean is the mean of all the points, not a mean of means).",
  fields: (t) => ({
    deviceCount: t.int({
      description: 'How many devices the filter matches.',
      resolve: (fleet, _args, context) => fleetDeviceCount(context, fleet),
    }),
    connectivity: t.field({
      type: ConnectivityCountsRef,
      description: 'How many of them are in each connectivity state.',
      resolve: (fleet, _args, context) => fleetConnectivity(context, fleet),
    }),
    reporting: t.int({
      authScopes: TELEMETRY_READ,
      description: 'How many of them have at least one point in [from, to).',
      args: {
        from: t.arg({ type: 'DateTime', required: true }),
        to: t.arg({ type: 'DateTime', required: true }),
      },
      resolve: (fleet, args, context) => fleetReporting(context, fleet, args),
    }),
    telemetry: t.field({
      type: FleetTelemetryRef,
      authScopes: TELEMETRY_READ,
      description:
        "Time buckets over [from, to), one series per group, each bucket pooling every point of the group's devices in it. FIRST and LAST only when grouped by device.",
      args: {
        ...TELEMETRY_ARGS,
        groupBy: t.arg({
          type: FleetGroupByInput,
          description: 'Omitted, the fleet is one group.',
        }),
      },
      resolve: (fleet, args, context) => fleetTelemetry(context, fleet, args),
    }),
    latest: t.field({
      type: [FleetLatestGroup],
      authScopes: TELEMETRY_READ,
      description:
        'Per group, the aggregates of each device\'s newest value of each metric: the total power of a site now is `latest(metrics: ["power"], aggregates: [SUM], groupBy: { label: "site" })`.',
      args: {
        metrics: t.arg.stringList({ required: true }),
        aggregates: t.arg({ type: [AggregateEnum], description: 'Defaults to [MEAN].' }),
        groupBy: t.arg({
          type: FleetGroupByInput,
          description: 'Omitted, the fleet is one group.',
        }),
      },
      resolve: (fleet, args, context) => fleetLatest(context, fleet, args),
    }),
    top: t.field({
      type: [DeviceRanking],
      authScopes: TELEMETRY_READ,
      description:
        'The devices ranked by one aggregate of one metric over [from, to), at most n; devices without a value in the range are not ranked, equal values are ordered by device id.',
      args: {
        metric: t.arg.string({ required: true }),
        aggregate: t.arg({ type: AggregateEnum, required: true }),
        from: t.arg({ type: 'DateTime', required: true }),
        to: t.arg({ type: 'DateTime', required: true }),
        n: t.arg.int({ required: true, description: 'How many, 1 to 100.' }),
        order: t.arg({ type: SortOrderEnum, defaultValue: 'DESC' }),
      },
      resolve: (fleet, args, context) => fleetTop(context, fleet, args),
    }),
  }),
});

builder.queryField('fleet', (t) =>
  t.field({
    type: FleetRef,
    authScopes: { permission: 'devices:read' },
    description: "The caller's devices that match the filter (all of them when omitted).",
    args: { filter: t.arg({ type: DeviceFilter }) },
    resolve: (_root, args, context) => openFleet(context, args.filter),
  }),
);

const FleetLatestUpdateRef = builder.objectRef<FleetLatestUpdate>('FleetLatestUpdate').implement({
  description: "One push of `fleetLatest`: each group's aggregates of its devices' newest values.",
  fields: (t) => ({
    at: t.field({
      type: 'DateTime',
      description: 'When these values were read.',
      resolve: (update) => update.at,
    }),
    groups: t.field({ type: [FleetLatestGroup], resolve: (update) => update.groups }),
  }),
});

builder.subscriptionField('fleetLatest', (t) =>
  t.field({
    type: FleetLatestUpdateRef,
    // Both, as `fleet { latest }` needs: the filter reads devices, the answer their telemetry.
    authScopes: { $all: { permission: 'telemetry:read', $any: { permission: 'devices:read' } } },
    description:
      '`fleet(filter).latest(...)` pushed at once and then every `every`: the live total power per site, say. Devices registered later that match are included. Subscribers asking the same are served by one computation.',
    args: {
      filter: t.arg({ type: DeviceFilter }),
      metrics: t.arg.stringList({ required: true }),
      aggregates: t.arg({ type: [AggregateEnum], description: 'Defaults to [MEAN].' }),
      groupBy: t.arg({ type: FleetGroupByInput, description: 'Omitted, the fleet is one group.' }),
      every: t.arg.string({
        defaultValue: '5s',
        description: 'How often, from 1s to 1h, like 1s, 10s or 1m.',
      }),
    },
    subscribe: (_root, args, context) => subscribeFleetLatest(context, args),
    resolve: (update) => update,
  }),
);
