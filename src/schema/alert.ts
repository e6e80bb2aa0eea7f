import type {
  AlertCondition,
  AlertEpisode,
  AlertRule,
  AlertRuleKind,
  AlertStatus,
} from '../domain/alerts.js';
import { formatDuration } from '../domain/query-limits.js';
import {
  acknowledgeAlertEpisode,
  listAlertEpisodes,
  subscribeAlertEvents,
  type AlertEpisodeEvent,
  type AlertEpisodeEventKind,
} from '../resolvers/alert-episodes.js';
import {
  alertDevice,
  alertRule,
  createAlertRule,
  deleteAlertRule,
  listAlertRules,
  listAlerts,
  subscribeAlerts,
  updateAlertRule,
  type AlertView,
} from '../resolvers/alerts.js';
import { builder } from './builder.js';
import { DeviceRef, Label, LabelInput } from './device.js';

// `satisfies`: a value the domain adds or drops fails to compile here.
export const AlertConditionEnum = builder.enumType('AlertCondition', {
  values: {
    GT: { description: 'value > threshold (numbers only)' },
    GTE: { description: 'value ≥ threshold (numbers only)' },
    LT: { description: 'value < threshold (numbers only)' },
    LTE: { description: 'value ≤ threshold (numbers only)' },
    EQ: { description: 'value = threshold (same type and value)' },
    NEQ: { description: 'value ≠ threshold' },
  } satisfies Record<AlertCondition, { description: string }>,
});

const AlertStatusEnum = builder.enumType('AlertStatus', {
  values: {
    FIRING: {
      description:
        "The condition has held for the rule's forDuration (and, since, not failed to hold for as long).",
    },
    PENDING: { description: "The condition holds, for less than the rule's forDuration so far." },
    OK: { description: 'It does not (or no longer does).' },
  } satisfies Record<AlertStatus, { description: string }>,
});

export const AlertRuleKindEnum = builder.enumType('AlertRuleKind', {
  values: {
    THRESHOLD: { description: '"metric <condition> threshold", on every stored point.' },
    NO_DATA: {
      description:
        'Silence: no point of the metric (of any metric when it has none) received from a device for forDuration.',
    },
    ANOMALY: {
      description:
        "A value more than `deviations` median absolute deviations from the median of the device's own `windowPoints` newest values.",
    },
  } satisfies Record<AlertRuleKind, { description: string }>,
});

export const AlertRuleRef = builder.objectRef<AlertRule>('AlertRule').implement({
  description:
    'A THRESHOLD rule, evaluated on every stored point of the devices it applies to, or a NO_DATA rule, watching them for silence.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    kind: t.field({ type: AlertRuleKindEnum, resolve: (rule) => rule.kind }),
    metric: t.exposeString('metric', {
      nullable: true,
      description: 'NO_DATA: null when any point counts.',
    }),
    condition: t.field({
      type: AlertConditionEnum,
      nullable: true,
      description: 'THRESHOLD only.',
      resolve: (rule) => rule.condition,
    }),
    threshold: t.field({
      type: 'MetricValue',
      nullable: true,
      description: 'THRESHOLD only.',
      resolve: (rule) => (rule.kind === 'THRESHOLD' ? rule.threshold : null),
    }),
    deviations: t.float({
      nullable: true,
      description: 'ANOMALY only: how many median absolute deviations make a value anomalous.',
      resolve: (rule) => (rule.kind === 'ANOMALY' ? rule.threshold : null),
    }),
    windowPoints: t.int({
      nullable: true,
      description: "ANOMALY only: how many of the device's newest values the median is taken over.",
      resolve: (rule) => rule.windowPoints,
    }),
    deviceType: t.exposeString('deviceType', {
      nullable: true,
      description: 'Only devices of this type; every type when null.',
    }),
    deviceLabels: t.field({
      type: [Label],
      description: 'Only devices carrying every one of these labels.',
      resolve: (rule) => Object.entries(rule.deviceLabels).map(([key, value]) => ({ key, value })),
    }),
    forDuration: t.string({
      description:
        'How long the condition must hold before FIRING, and fail to hold before OK again ("0s": at once).',
      resolve: (rule) => formatDuration(rule.forDurationMs),
    }),
    clearThreshold: t.field({
      type: 'MetricValue',
      nullable: true,
      description:
        'While FIRING the value is compared with this instead of the threshold (hysteresis); null: the threshold.',
      resolve: (rule) => rule.clearThreshold,
    }),
    enabled: t.exposeBoolean('enabled'),
    createdAt: t.field({ type: 'DateTime', resolve: (rule) => rule.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (rule) => rule.updatedAt }),
  }),
});

const AlertRef = builder.objectRef<AlertView>('Alert').implement({
  description: 'Where one rule stands for one device, or (in the subscription) a change of it.',
  fields: (t) => ({
    ruleId: t.exposeID('ruleId'),
    deviceId: t.exposeID('deviceId'),
    rule: t.field({
      type: AlertRuleRef,
      nullable: true,
      description: 'Null if the rule was deleted since.',
      resolve: (alert, _args, context) => alertRule(context, alert),
    }),
    device: t.field({
      type: DeviceRef,
      nullable: true,
      authScopes: { permission: 'devices:read' },
      description: 'Null if the device was deleted since.',
      resolve: (alert, _args, context) => alertDevice(context, alert),
    }),
    status: t.field({ type: AlertStatusEnum, resolve: (alert) => alert.status }),
    value: t.field({
      type: 'MetricValue',
      description: 'The value of the point that brought the status.',
      resolve: (alert) => alert.value,
    }),
    since: t.field({
      type: 'DateTime',
      description:
        'The time of the point that brought the status (PENDING: the first that met the condition).',
      resolve: (alert) => alert.since,
    }),
    evaluatedAt: t.field({
      type: 'DateTime',
      description:
        'The time of the newest point evaluated (NO_DATA: of its receipt), or of the change itself in the subscription.',
      resolve: (alert) => alert.evaluatedAt,
    }),
  }),
});

const FOR_DURATION_INPUT =
  'THRESHOLD: how long the condition must hold before FIRING, and fail to hold before OK again: 0s (the default, at once) to 24h, like 30s or 5m. NO_DATA (required): how long a device may be silent, 1s to 24h.';
const DEVIATIONS_INPUT =
  'ANOMALY: how many median absolute deviations from the median make a value anomalous, 0.5 to 100 (default 3.5).';
const WINDOW_POINTS_INPUT =
  "ANOMALY: how many of the device's newest values the median is taken over, 10 to 1000 (default 100); nothing is anomalous before 10 have arrived.";
const CLEAR_THRESHOLD_INPUT =
  'GT, GTE, LT and LTE only: while FIRING, the value is compared with this instead, so a value hovering at the threshold does not flap (for GT 80, say 75: it clears at or below 75).';

const CHANNEL_IDS_INPUT =
  'The notification channels its episodes are sent to, when they begin and end (at most 10; needs alerts:manage, like the channels).';

const CreateAlertRuleInput = builder.inputType('CreateAlertRuleInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: AlertRuleKindEnum, defaultValue: 'THRESHOLD' }),
    metric: t.string({
      description:
        'THRESHOLD: required. NO_DATA: the metric whose silence counts; omit for any point.',
    }),
    condition: t.field({ type: AlertConditionEnum, description: 'THRESHOLD: required.' }),
    threshold: t.field({ type: 'MetricValue', description: 'THRESHOLD: required.' }),
    deviceType: t.string({ description: 'Only devices of this type; omit for every type.' }),
    deviceLabels: t.field({
      type: [LabelInput],
      description: 'Only devices carrying every one of these labels.',
    }),
    forDuration: t.string({ description: FOR_DURATION_INPUT }),
    clearThreshold: t.field({ type: 'MetricValue', description: CLEAR_THRESHOLD_INPUT }),
    deviations: t.float({ description: DEVIATIONS_INPUT }),
    windowPoints: t.int({ description: WINDOW_POINTS_INPUT }),
    enabled: t.boolean({ description: 'Defaults to true.' }),
    channelIds: t.idList({ description: CHANNEL_IDS_INPUT }),
  }),
});

const UpdateAlertRuleInput = builder.inputType('UpdateAlertRuleInput', {
  fields: (t) => ({
    name: t.string(),
    metric: t.string({
      description: 'NO_DATA: null watches any point again. THRESHOLD and ANOMALY: never null.',
    }),
    condition: t.field({ type: AlertConditionEnum }),
    threshold: t.field({ type: 'MetricValue' }),
    deviceType: t.string({ description: 'null applies the rule to every type again.' }),
    deviceLabels: t.field({ type: [LabelInput], description: 'Replaces all of them.' }),
    forDuration: t.string({ description: FOR_DURATION_INPUT }),
    clearThreshold: t.field({
      type: 'MetricValue',
      description: `${CLEAR_THRESHOLD_INPUT} null clears it.`,
    }),
    deviations: t.float({ description: DEVIATIONS_INPUT }),
    windowPoints: t.int({ description: WINDOW_POINTS_INPUT }),
    enabled: t.boolean({ description: "Disabling clears the rule's alerts." }),
    channelIds: t.idList({
      description: `${CHANNEL_IDS_INPUT} Replaces all of them; [] routes it nowhere.`,
    }),
  }),
});

builder.queryFields((t) => ({
  alertRules: t.field({
    type: [AlertRuleRef],
    authScopes: { permission: 'alerts:read' },
    description: "The organization's alert rules, oldest first.",
    resolve: (_root, _args, context) => listAlertRules(context),
  }),
  alerts: t.field({
    type: [AlertRef],
    authScopes: { permission: 'alerts:read' },
    description: 'Where the enabled rules stand per device, newest change first.',
    args: {
      status: t.arg({ type: AlertStatusEnum, description: 'FIRING for what needs attention.' }),
      ruleId: t.arg.id(),
      deviceId: t.arg.id(),
      first: t.arg.int({ description: 'At most this many (default 100, at most 1000).' }),
    },
    resolve: (_root, args, context) =>
      listAlerts(context, {
        status: args.status,
        ruleId: args.ruleId == null ? null : String(args.ruleId),
        deviceId: args.deviceId == null ? null : String(args.deviceId),
        first: args.first,
      }),
  }),
}));

builder.mutationFields((t) => ({
  createAlertRule: t.field({
    type: AlertRuleRef,
    authScopes: { permission: 'alerts:manage' },
    args: { input: t.arg({ type: CreateAlertRuleInput, required: true }) },
    resolve: (_root, args, context) => createAlertRule(context, args.input),
  }),
  updateAlertRule: t.field({
    type: AlertRuleRef,
    authScopes: { permission: 'alerts:manage' },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdateAlertRuleInput, required: true }),
    },
    resolve: (_root, args, context) => updateAlertRule(context, String(args.id), args.input),
  }),
  deleteAlertRule: t.field({
    type: 'ID',
    authScopes: { permission: 'alerts:manage' },
    description: 'Deletes the rule and its alerts; returns its id.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, context) => deleteAlertRule(context, String(args.id)),
  }),
}));

builder.subscriptionField('alerts', (t) =>
  t.field({
    type: AlertRef,
    authScopes: { permission: 'alerts:read' },
    description: "Each change of an alert's status in the organization, as the pipeline raises it.",
    subscribe: (_root, _args, context) => subscribeAlerts(context),
    resolve: (alert) => alert,
  }),
);

const AlertRuleSnapshotRef = builder
  .objectRef<AlertEpisode['rule']>('AlertRuleSnapshot')
  .implement({
    description: 'What the rule said when an episode began.',
    fields: (t) => ({
      name: t.exposeString('name'),
      kind: t.field({ type: AlertRuleKindEnum, resolve: (rule) => rule.kind }),
      metric: t.exposeString('metric', { nullable: true }),
      condition: t.field({
        type: AlertConditionEnum,
        nullable: true,
        resolve: (rule) => rule.condition,
      }),
      threshold: t.field({
        type: 'MetricValue',
        nullable: true,
        resolve: (rule) => (rule.kind === 'ANOMALY' ? null : rule.threshold),
      }),
      deviations: t.float({
        nullable: true,
        resolve: (rule) => (rule.kind === 'ANOMALY' ? (rule.threshold as number) : null),
      }),
      windowPoints: t.int({ nullable: true, resolve: (rule) => rule.windowPoints ?? null }),
      clearThreshold: t.field({
        type: 'MetricValue',
        nullable: true,
        resolve: (rule) => rule.clearThreshold,
      }),
      forDuration: t.string({ resolve: (rule) => formatDuration(rule.forDurationMs) }),
    }),
  });

const AlertAcknowledgementRef = builder
  .objectRef<NonNullable<AlertEpisode['acknowledgement']>>('AlertAcknowledgement')
  .implement({
    fields: (t) => ({
      by: t.exposeString('by', { description: 'The user or API key that acknowledged it.' }),
      at: t.field({ type: 'DateTime', resolve: (ack) => new Date(ack.at) }),
      note: t.exposeString('note', { nullable: true }),
    }),
  });

export const AlertEpisodeRef = builder.objectRef<AlertEpisode>('AlertEpisode').implement({
  description: 'One firing of a rule for a device: from FIRING to OK, with its peak.',
  fields: (t) => ({
    id: t.exposeID('id'),
    ruleId: t.exposeID('ruleId'),
    deviceId: t.exposeID('deviceId'),
    rule: t.field({
      type: AlertRuleRef,
      nullable: true,
      description: 'The rule as it is now; null if it was deleted since (see ruleAtStart).',
      resolve: (episode, _args, context) => context.loaders.alertRule.load(episode.ruleId),
    }),
    ruleAtStart: t.field({
      type: AlertRuleSnapshotRef,
      resolve: (episode) => episode.rule,
    }),
    device: t.field({
      type: DeviceRef,
      nullable: true,
      authScopes: { permission: 'devices:read' },
      resolve: (episode, _args, context) => context.loaders.device.load(episode.deviceId),
    }),
    firing: t.boolean({ resolve: (episode) => episode.endedAt === null }),
    startedAt: t.field({ type: 'DateTime', resolve: (episode) => new Date(episode.startedAt) }),
    endedAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (episode) => (episode.endedAt === null ? null : new Date(episode.endedAt)),
    }),
    startValue: t.field({ type: 'MetricValue', resolve: (episode) => episode.startValue }),
    peakValue: t.field({
      type: 'MetricValue',
      description:
        'The most extreme value while it fired (highest for GT and GTE, lowest for LT and LTE).',
      resolve: (episode) => episode.peakValue,
    }),
    endValue: t.field({
      type: 'MetricValue',
      nullable: true,
      resolve: (episode) => episode.endValue,
    }),
    acknowledgement: t.field({
      type: AlertAcknowledgementRef,
      nullable: true,
      resolve: (episode) => episode.acknowledgement,
    }),
  }),
});

const AlertEpisodeEventKindEnum = builder.enumType('AlertEpisodeEventKind', {
  values: {
    FIRING: { description: 'The episode began.' },
    RESOLVED: { description: 'It ended: the alert is OK again.' },
    ACKNOWLEDGED: { description: 'Someone acknowledged it.' },
  } satisfies Record<AlertEpisodeEventKind, { description: string }>,
});

const AlertEpisodeEventRef = builder.objectRef<AlertEpisodeEvent>('AlertEpisodeEvent').implement({
  fields: (t) => ({
    kind: t.field({ type: AlertEpisodeEventKindEnum, resolve: (event) => event.kind }),
    episode: t.field({
      type: AlertEpisodeRef,
      description: 'As it is after the change.',
      resolve: (event) => event.episode,
    }),
  }),
});

builder.queryField('alertEpisodes', (t) =>
  t.connection({
    type: AlertEpisodeRef,
    authScopes: { permission: 'alerts:read' },
    description: "The organization's alert episodes, newest first (kept after they end).",
    args: {
      ruleId: t.arg.id(),
      deviceId: t.arg.id(),
      firing: t.arg.boolean({
        description: 'true: only those firing now; false: only ended ones.',
      }),
    },
    resolve: (_root, args, context) =>
      listAlertEpisodes(context, {
        ...args,
        ruleId: args.ruleId == null ? null : String(args.ruleId),
        deviceId: args.deviceId == null ? null : String(args.deviceId),
      }),
  }),
);

builder.mutationField('acknowledgeAlertEpisode', (t) =>
  t.field({
    type: AlertEpisodeRef,
    authScopes: { permission: 'alerts:manage' },
    description:
      'Records that the caller has seen the episode, with a note; again replaces the note.',
    args: { id: t.arg.id({ required: true }), note: t.arg.string() },
    resolve: (_root, args, context) => acknowledgeAlertEpisode(context, String(args.id), args.note),
  }),
);

builder.subscriptionField('alertEvents', (t) =>
  t.field({
    type: AlertEpisodeEventRef,
    authScopes: { permission: 'alerts:read' },
    description:
      'Each change of an episode in the organization: it began, ended or was acknowledged.',
    subscribe: (_root, _args, context) => subscribeAlertEvents(context),
    resolve: (event) => event,
  }),
);
