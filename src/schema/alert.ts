import type { AlertCondition, AlertRule, AlertStatus } from '../domain/alerts.js';
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
    FIRING: { description: "The device's newest value of the metric meets the condition." },
    OK: { description: 'It does not (or no longer does).' },
  } satisfies Record<AlertStatus, { description: string }>,
});

const AlertRuleRef = builder.objectRef<AlertRule>('AlertRule').implement({
  description:
    '"metric <condition> threshold", evaluated on every stored point of the devices it applies to.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    metric: t.exposeString('metric'),
    condition: t.field({ type: AlertConditionEnum, resolve: (rule) => rule.condition }),
    threshold: t.field({ type: 'MetricValue', resolve: (rule) => rule.threshold }),
    deviceType: t.exposeString('deviceType', {
      nullable: true,
      description: 'Only devices of this type; every type when null.',
    }),
    deviceLabels: t.field({
      type: [Label],
      description: 'Only devices carrying every one of these labels.',
      resolve: (rule) => Object.entries(rule.deviceLabels).map(([key, value]) => ({ key, value })),
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
      description: 'The time of the point that brought the status.',
      resolve: (alert) => alert.since,
    }),
  }),
});

const CreateAlertRuleInput = builder.inputType('CreateAlertRuleInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    metric: t.string({ required: true }),
    condition: t.field({ type: AlertConditionEnum, required: true }),
    threshold: t.field({ type: 'MetricValue', required: true }),
    deviceType: t.string({ description: 'Only devices of this type; omit for every type.' }),
    deviceLabels: t.field({
      type: [LabelInput],
      description: 'Only devices carrying every one of these labels.',
    }),
    enabled: t.boolean({ description: 'Defaults to true.' }),
  }),
});

const UpdateAlertRuleInput = builder.inputType('UpdateAlertRuleInput', {
  fields: (t) => ({
    name: t.string(),
    metric: t.string(),
    condition: t.field({ type: AlertConditionEnum }),
    threshold: t.field({ type: 'MetricValue' }),
    deviceType: t.string({ description: 'null applies the rule to every type again.' }),
    deviceLabels: t.field({ type: [LabelInput], description: 'Replaces all of them.' }),
    enabled: t.boolean({ description: "Disabling clears the rule's alerts." }),
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
