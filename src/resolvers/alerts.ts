import type { GraphQLContext } from '../schema/context.js';
import {
  ORDERING_CONDITIONS,
  type AlertCondition,
  type AlertEvent,
  type AlertRule,
  MIN_ANOMALY_WINDOW,
  type AlertRuleKind,
  type AlertState,
  type AlertStatus,
} from '../domain/alerts.js';
import { metricNameProblem } from '../domain/metric-name.js';
import type { MetricValue } from '../domain/telemetry.js';
import type { AlertRulePatch } from '../ports/alert-repository.js';
import { labelsToMap, requireText, type LabelInput } from './device-input.js';
import { DEFAULT_ALERTS, MAX_ALERTS, MAX_RULES_PER_ORGANIZATION } from '../domain/query-limits.js';
import { durationArgument } from './duration-argument.js';
import { badUserInput, notFound, pageSize } from './errors.js';
import { liveStream } from './live.js';
import { checkChannelIds } from './notification-channels.js';

export interface AlertRuleInput {
  name?: string | null;
  metric?: string | null;
  condition?: AlertCondition | null;
  threshold?: MetricValue | null;
  deviceType?: string | null;
  deviceLabels?: LabelInput[] | null;
  forDuration?: string | null;
  clearThreshold?: MetricValue | null;
  deviations?: number | null;
  windowPoints?: number | null;
  enabled?: boolean | null;
  channelIds?: readonly (string | number)[] | null;
}

/** An alert as GraphQL shows it: the rule and device are resolved through the loaders. */
export interface AlertView {
  ruleId: string;
  deviceId: string;
  status: AlertStatus;
  value: MetricValue;
  since: number;
  /** The newest point evaluated (the change's own, for a change). */
  evaluatedAt: number;
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

/** forDuration's bound: a day; longer waits are what NO_DATA and the history are for. */
const MAX_FOR_DURATION_MS = 86_400_000;

function checkForDuration(forDuration: string, minMs = 0): number {
  return durationArgument(forDuration, 'forDuration', {
    minMs,
    maxMs: MAX_FOR_DURATION_MS,
    takes:
      minMs === 0 ? 'from 0s to 24h, like 30s, 5m or 1h' : 'from 1s to 24h, like 30s, 5m or 1h',
  });
}

/**
 * BAD_USER_INPUT unless the clear threshold suits the rule: only ordering conditions have one, a
 * number on the side the value returns to (for GT 80, at most 80: the alert clears at or below
 * it, so a value hovering between the two does not flap).
 */
function checkClearThreshold(
  condition: AlertCondition,
  threshold: MetricValue,
  clear: MetricValue | null,
) {
  if (clear === null) return null;
  if (!ORDERING_CONDITIONS.has(condition) || typeof clear !== 'number') {
    throw badUserInput(
      'clearThreshold is a number, for GT, GTE, LT and LTE rules only',
      'clearThreshold',
    );
  }
  const rising = condition === 'GT' || condition === 'GTE';
  if (rising ? clear > (threshold as number) : clear < (threshold as number)) {
    throw badUserInput(
      `clearThreshold must be ${rising ? 'at most' : 'at least'} the threshold (${String(threshold)}) for a ${condition} rule`,
      'clearThreshold',
    );
  }
  return clear;
}

async function requireRule(context: GraphQLContext, id: string): Promise<AlertRule> {
  const rule = await context.loaders.alertRule.load(id);
  if (!rule) throw notFound(`alert rule ${id}`);
  return rule;
}

export async function listAlertRules(context: GraphQLContext) {
  return context.services.alerts.listRules(context.viewer.organizationId);
}

/** What a rule of the kind needs, or BAD_USER_INPUT naming the missing field. */
function required<T>(value: T | null | undefined, field: string, kind = 'THRESHOLD'): T {
  if (value == null) throw badUserInput(`a ${kind} rule needs ${field}`, field);
  return value;
}

/** BAD_USER_INPUT when a rule is given a field of another kind. */
function refuseOtherKinds(kind: AlertRuleKind, input: AlertRuleInput) {
  const own: Record<AlertRuleKind, readonly (keyof AlertRuleInput)[]> = {
    THRESHOLD: ['condition', 'threshold', 'clearThreshold'],
    NO_DATA: [],
    ANOMALY: ['deviations', 'windowPoints'],
  };
  const others = [
    'condition',
    'threshold',
    'clearThreshold',
    'deviations',
    'windowPoints',
  ] as const;
  for (const field of others) {
    if (input[field] != null && !own[kind].includes(field)) {
      throw badUserInput(`a ${kind} rule has no ${field}`, field);
    }
  }
}

/** ANOMALY: k, from 0.5 to 100 median absolute deviations (3 to 5 are usual). */
function checkDeviations(deviations: number) {
  if (!(deviations >= 0.5 && deviations <= 100)) {
    throw badUserInput('deviations must be from 0.5 to 100 (3 to 5 are usual)', 'deviations');
  }
  return deviations;
}

/** ANOMALY: how many of a device's newest values the median is taken over. */
function checkWindowPoints(points: number) {
  if (!Number.isInteger(points) || points < MIN_ANOMALY_WINDOW || points > 1_000) {
    throw badUserInput(`windowPoints must be from ${MIN_ANOMALY_WINDOW} to 1000`, 'windowPoints');
  }
  return points;
}

/** A NO_DATA rule's duration: at least a second (it is the silence that fires it). */
function checkSilence(forDuration: string | null | undefined): number {
  return checkForDuration(required(forDuration, 'forDuration', 'NO_DATA'), 1_000);
}

export async function createAlertRule(
  context: GraphQLContext,
  input: AlertRuleInput & { name: string; kind?: AlertRuleKind | null },
) {
  const { organizationId } = context.viewer;
  const existing = await context.services.alerts.listRules(organizationId);
  if (existing.length >= MAX_RULES_PER_ORGANIZATION) {
    throw badUserInput(`an organization has at most ${MAX_RULES_PER_ORGANIZATION} alert rules`);
  }
  const common = {
    organizationId,
    name: requireText(input.name, 'name', 200),
    deviceType: input.deviceType ? requireText(input.deviceType, 'deviceType', 100) : null,
    deviceLabels: labelsToMap(input.deviceLabels ?? [], 'deviceLabels'),
    enabled: input.enabled ?? true,
    ...(input.channelIds ? { channelIds: await checkChannelIds(context, input.channelIds) } : {}),
  };
  refuseOtherKinds(input.kind ?? 'THRESHOLD', input);
  if (input.kind === 'ANOMALY') {
    return context.services.alerts.createRule({
      ...common,
      kind: 'ANOMALY',
      metric: checkMetric(required(input.metric, 'metric', 'ANOMALY')),
      threshold: checkDeviations(input.deviations ?? 3.5),
      windowPoints: checkWindowPoints(input.windowPoints ?? 100),
      forDurationMs: input.forDuration == null ? 0 : checkForDuration(input.forDuration),
    });
  }
  if (input.kind === 'NO_DATA') {
    return context.services.alerts.createRule({
      ...common,
      kind: 'NO_DATA',
      metric: input.metric == null ? null : checkMetric(input.metric),
      forDurationMs: checkSilence(input.forDuration),
    });
  }
  const condition = required(input.condition, 'condition');
  const threshold = checkThreshold(condition, required(input.threshold, 'threshold'));
  return context.services.alerts.createRule({
    ...common,
    kind: 'THRESHOLD',
    metric: checkMetric(required(input.metric, 'metric')),
    condition,
    threshold,
    forDurationMs: input.forDuration == null ? 0 : checkForDuration(input.forDuration),
    clearThreshold: checkClearThreshold(condition, threshold, input.clearThreshold ?? null),
  });
}

export async function updateAlertRule(context: GraphQLContext, id: string, input: AlertRuleInput) {
  const current = await requireRule(context, id);
  const patch: AlertRulePatch = {};
  if (input.name != null) patch.name = requireText(input.name, 'name', 200);
  // metric: null makes a NO_DATA rule watch any point again; the other kinds need theirs.
  if (input.metric === null) {
    if (current.kind !== 'NO_DATA') {
      throw badUserInput(`a ${current.kind} rule needs its metric: it cannot be null`, 'metric');
    }
    patch.metric = null;
  } else if (input.metric !== undefined) patch.metric = checkMetric(input.metric);
  // deviceType: null clears it (every type); omitted keeps it.
  if (input.deviceType !== undefined) {
    patch.deviceType = input.deviceType ? requireText(input.deviceType, 'deviceType', 100) : null;
  }
  if (input.deviceLabels != null)
    patch.deviceLabels = labelsToMap(input.deviceLabels, 'deviceLabels');
  if (input.enabled != null) patch.enabled = input.enabled;
  if (input.channelIds != null) patch.channelIds = await checkChannelIds(context, input.channelIds);
  refuseOtherKinds(current.kind, input);
  if (current.kind === 'NO_DATA') {
    if (input.forDuration != null) patch.forDurationMs = checkSilence(input.forDuration);
  } else if (current.kind === 'ANOMALY') {
    if (input.forDuration != null) patch.forDurationMs = checkForDuration(input.forDuration);
    if (input.deviations != null) patch.threshold = checkDeviations(input.deviations);
    if (input.windowPoints != null) patch.windowPoints = checkWindowPoints(input.windowPoints);
  } else {
    if (input.condition != null) patch.condition = input.condition;
    if (input.threshold != null) patch.threshold = input.threshold;
    if (input.forDuration != null) patch.forDurationMs = checkForDuration(input.forDuration);
    // clearThreshold: null clears it; omitted keeps it.
    if (input.clearThreshold !== undefined) patch.clearThreshold = input.clearThreshold;
    const condition = patch.condition ?? current.condition;
    const threshold = patch.threshold ?? current.threshold;
    checkThreshold(condition, threshold);
    const clear =
      patch.clearThreshold === undefined ? current.clearThreshold : patch.clearThreshold;
    checkClearThreshold(condition, threshold, clear);
  }
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
  // PENDING began when the condition did; the others when their status did.
  since: 'since' in state ? (state.pendingSince ?? state.since) : state.ts,
  evaluatedAt: 'evaluatedAt' in state ? state.evaluatedAt : state.ts,
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
    context.services.live.subscribeAlerts(organizationId, (event) => {
      // Acknowledgements change no status: they are alertEvents' news only.
      if (event.kind !== 'ACKNOWLEDGED') push(toView(event));
    }),
  );
}

/** The rule and device of an alert; null when either was deleted after the alert was raised. */
export async function alertRule(context: GraphQLContext, alert: AlertView) {
  return context.loaders.alertRule.load(alert.ruleId);
}

export async function alertDevice(context: GraphQLContext, alert: AlertView) {
  return context.loaders.device.load(alert.deviceId);
}
