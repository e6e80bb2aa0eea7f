import type { GraphQLContext } from '../schema/context.js';
import {
  ORDERING_CONDITIONS,
  type AlertCondition,
  type AlertEvent,
  type AlertRule,
  type AlertState,
  type AlertStatus,
} from '../domain/alerts.js';
import { metricNameProblem } from '../domain/metric-name.js';
import type { MetricValue } from '../domain/telemetry.js';
import type { AlertRulePatch } from '../ports/alert-repository.js';
import { labelsToMap, requireText, type LabelInput } from './device-input.js';
import { DEFAULT_ALERTS, MAX_ALERTS, MAX_RULES_PER_ORGANIZATION } from '../domain/query-limits.js';
import { badUserInput, notFound, pageSize } from './errors.js';
import { liveStream } from './live.js';

export interface AlertRuleInput {
  name?: string | null;
  metric?: string | null;
  condition?: AlertCondition | null;
  threshold?: MetricValue | null;
  deviceType?: string | null;
  deviceLabels?: LabelInput[] | null;
  enabled?: boolean | null;
}

/** An alert as GraphQL shows it: the rule and device are resolved through the loaders. */
export interface AlertView {
  ruleId: string;
  deviceId: string;
  status: AlertStatus;
  value: MetricValue;
  since: number;
}

function checkMetric(metric: string) {
  const problem = metricNameProblem(metric);
  if (problem) throw badUserInput(problem, 'metric');
  return metric;
}

/** BAD_USER_INPUT unless the threshold suits the condition (alert rules, subscription filters). */
export function checkThreshold(condition: AlertCondition, threshold: MetricValue) {
  if (ORDERING_CONDITIONS.has(condition) && typeof threshold !== 'number') {
    throw badUserInput(`${condition} compares numbers: threshold must be a number`, 'threshold');
  }
  if (typeof threshold === 'string' && threshold.length > 256) {
    throw badUserInput('threshold must be at most 256 characters', 'threshold');
  }
  return threshold;
}

async function requireRule(context: GraphQLContext, id: string): Promise<AlertRule> {
  const rule = await context.loaders.alertRule.load(id);
  if (!rule) throw notFound(`alert rule ${id}`);
  return rule;
}

export async function listAlertRules(context: GraphQLContext) {
  return context.services.alerts.listRules(context.viewer.organizationId);
}

export async function createAlertRule(
  context: GraphQLContext,
  input: AlertRuleInput & {
    name: string;
    metric: string;
    condition: AlertCondition;
    threshold: MetricValue;
  },
) {
  const { organizationId } = context.viewer;
  const existing = await context.services.alerts.listRules(organizationId);
  if (existing.length >= MAX_RULES_PER_ORGANIZATION) {
    throw badUserInput(`an organization has at most ${MAX_RULES_PER_ORGANIZATION} alert rules`);
  }
  return context.services.alerts.createRule({
    organizationId,
    name: requireText(input.name, 'name', 200),
    metric: checkMetric(input.metric),
    condition: input.condition,
    threshold: checkThreshold(input.condition, input.threshold),
    deviceType: input.deviceType ? requireText(input.deviceType, 'deviceType', 100) : null,
    deviceLabels: labelsToMap(input.deviceLabels ?? [], 'deviceLabels'),
    enabled: input.enabled ?? true,
  });
}

export async function updateAlertRule(context: GraphQLContext, id: string, input: AlertRuleInput) {
  const current = await requireRule(context, id);
  const patch: AlertRulePatch = {};
  if (input.name != null) patch.name = requireText(input.name, 'name', 200);
  if (input.metric != null) patch.metric = checkMetric(input.metric);
  if (input.condition != null) patch.condition = input.condition;
  if (input.threshold != null) patch.threshold = input.threshold;
  // deviceType: null clears it (every type); omitted keeps it.
  if (input.deviceType !== undefined) {
    patch.deviceType = input.deviceType ? requireText(input.deviceType, 'deviceType', 100) : null;
  }
  if (input.deviceLabels != null)
    patch.deviceLabels = labelsToMap(input.deviceLabels, 'deviceLabels');
  if (input.enabled != null) patch.enabled = input.enabled;
  checkThreshold(patch.condition ?? current.condition, patch.threshold ?? current.threshold);
  const updated = await context.services.alerts.updateRule(
    context.viewer.organizationId,
    id,
    patch,
  );
  if (!updated) throw notFound(`alert rule ${id}`);
  return updated;
}

export async function deleteAlertRule(context: GraphQLContext, id: string) {
  const deleted = await context.services.alerts.deleteRule(context.viewer.organizationId, id);
  if (!deleted) throw notFound(`alert rule ${id}`);
  return id;
}

const toView = (state: AlertState | AlertEvent): AlertView => ({
  ruleId: state.ruleId,
  deviceId: state.deviceId,
  status: state.status,
  value: state.value,
  since: 'since' in state ? state.since : state.ts,
});

export async function listAlerts(
  context: GraphQLContext,
  args: {
    status?: AlertStatus | null;
    ruleId?: string | null;
    deviceId?: string | null;
    first?: number | null;
  },
) {
  const limit = pageSize(args.first, DEFAULT_ALERTS, MAX_ALERTS);
  if (args.ruleId) await requireRule(context, args.ruleId);
  if (args.deviceId && !(await context.loaders.device.load(args.deviceId))) {
    throw notFound(`device ${args.deviceId}`);
  }
  const states = await context.services.alerts.listStates(context.viewer.organizationId, {
    limit,
    ...(args.status ? { status: args.status } : {}),
    ...(args.ruleId ? { ruleId: args.ruleId } : {}),
    ...(args.deviceId ? { deviceId: args.deviceId } : {}),
  });
  return states.map(toView);
}

/** Every alert status change of the caller's organization, as the pipeline raises it. */
export function subscribeAlerts(context: GraphQLContext): AsyncIterable<AlertView> {
  const { organizationId } = context.viewer;
  return liveStream<AlertView>((push) =>
    context.services.live.subscribeAlerts(organizationId, (event) => push(toView(event))),
  );
}

/** The rule and device of an alert; null when either was deleted after the alert was raised. */
export async function alertRule(context: GraphQLContext, alert: AlertView) {
  return context.loaders.alertRule.load(alert.ruleId);
}

export async function alertDevice(context: GraphQLContext, alert: AlertView) {
  return context.loaders.device.load(alert.deviceId);
}
