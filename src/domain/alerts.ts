import type { MetricValue } from './telemetry.js';

/**
 * Alert rules: "metric <condition> threshold" on an organization's devices, optionally only those
 * of one type or carrying some labels. The pipeline evaluates every stored point against the
 * rules of its organization (src/domain/alert-transitions.ts): a device's alert for a rule turns
 * FIRING once the condition has held for the rule's `forDuration` (PENDING meanwhile), and OK
 * again once it has not held for as long, compared with the clear threshold while FIRING.
 */
export const ALERT_CONDITIONS = ['GT', 'GTE', 'LT', 'LTE', 'EQ', 'NEQ'] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

/** Conditions that order values: they need a numeric threshold and only numbers meet them. */
export const ORDERING_CONDITIONS: ReadonlySet<AlertCondition> = new Set(['GT', 'GTE', 'LT', 'LTE']);

export type AlertStatus = 'OK' | 'PENDING' | 'FIRING';
/** The changes reported: an alert starting to fire, or resolving. */
export type AlertEventStatus = 'FIRING' | 'OK';

export const ALERT_RULE_KINDS = ['THRESHOLD', 'NO_DATA', 'ANOMALY'] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];

interface AlertRuleBase {
  id: string;
  organizationId: string;
  name: string;
  /** Only devices of this type; every type when null. */
  deviceType: string | null;
  /** Only devices carrying every one of these labels. */
  deviceLabels: Record<string, string>;
  /**
   * THRESHOLD: how long the condition must hold before FIRING, and fail to before OK again (ms;
   * 0: at once). NO_DATA: how long a device may be silent before FIRING.
   */
  forDurationMs: number;
  /** ANOMALY: how many of the device's newest values the median is taken over; null otherwise. */
  windowPoints: number | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** "metric <condition> threshold", on every stored point. */
export interface ThresholdRule extends AlertRuleBase {
  kind: 'THRESHOLD';
  metric: string;
  condition: AlertCondition;
  threshold: MetricValue;
  /** While FIRING, the value is compared with this instead of the threshold; null: the threshold. */
  clearThreshold: MetricValue | null;
}

/**
 * Silence: FIRING once the server has received no point of the metric (of any metric when null)
 * from a device for `forDurationMs`, OK at the next one. Devices that never sent are not watched
 * (their connectivity says NEVER_SEEN).
 */
export interface NoDataRule extends AlertRuleBase {
  kind: 'NO_DATA';
  metric: string | null;
  condition: null;
  threshold: null;
  clearThreshold: null;
}

/**
 * A value unlike the device's own recent ones: more than `threshold` (k) median absolute
 * deviations from the median of its `windowPoints` newest values of the metric (numbers only;
 * nothing is anomalous before the window holds MIN_ANOMALY_WINDOW of them).
 */
export interface AnomalyRule extends AlertRuleBase {
  kind: 'ANOMALY';
  metric: string;
  condition: null;
  /** k: how many median absolute deviations from the median make a value anomalous. */
  threshold: number;
  clearThreshold: null;
  windowPoints: number;
}

export type AlertRule = ThresholdRule | NoDataRule | AnomalyRule;

/** The fewest values an ANOMALY rule's window needs before it judges one. */
export const MIN_ANOMALY_WINDOW = 10;

/** Where one rule stands for one device. */
export interface AlertState {
  organizationId: string;
  ruleId: string;
  deviceId: string;
  status: AlertStatus;
  /** When the current status began: the time of the point that brought it (epoch ms). */
  since: number;
  /** That point's value of the metric. */
  value: MetricValue;
  /**
   * When the condition began to change, waiting out `forDuration`: met since then while PENDING,
   * unmet since then while FIRING (about to resolve). Null when it holds steady.
   */
  pendingSince: number | null;
  /** While FIRING: the most extreme value since it began (the episode's peak). */
  peak: MetricValue | null;
  /** ANOMALY: the device's newest values of the metric, oldest first; null for other kinds. */
  window: number[] | null;
  /**
   * Time of the newest point evaluated (epoch ms). Points at or before it are not evaluated
   * again, so a redelivered batch raises no second alert and a late point cannot undo a newer one.
   */
  evaluatedAt: number;
}

/**
 * A change of an alert, as the pipeline (a status) or the api (an acknowledgement) publishes it
 * to live subscribers.
 */
export interface AlertEvent {
  organizationId: string;
  ruleId: string;
  deviceId: string;
  /** The alert's status after the change. */
  status: AlertEventStatus;
  value: MetricValue;
  /** The time of the point that changed the status, or of the acknowledgement (epoch ms). */
  ts: number;
  /** The episode the change belongs to: the one that began, ended or was acknowledged. */
  episodeId: string;
  /** STATUS (absent) for FIRING and OK; ACKNOWLEDGED when someone acknowledged the episode. */
  kind?: 'STATUS' | 'ACKNOWLEDGED';
}

/** One firing of a rule for a device, from FIRING to OK. */
export interface AlertEpisode {
  id: string;
  organizationId: string;
  ruleId: string;
  deviceId: string;
  startedAt: number;
  /** Null while it fires. */
  endedAt: number | null;
  startValue: MetricValue;
  peakValue: MetricValue;
  endValue: MetricValue | null;
  /** The rule as it was when the episode began. */
  rule: AlertRuleSnapshot;
  acknowledgement: { by: string; at: number; note: string | null } | null;
}

/** What of a rule an episode keeps, so its history reads right after the rule changes. */
export type AlertRuleSnapshot = Pick<
  AlertRule,
  | 'kind'
  | 'name'
  | 'metric'
  | 'condition'
  | 'threshold'
  | 'clearThreshold'
  | 'forDurationMs'
  | 'windowPoints'
>;

/** Whether a value meets the rule's condition. Ordering conditions only ever hold for numbers. */
export function meetsCondition(
  condition: AlertCondition,
  threshold: MetricValue,
  value: MetricValue,
): boolean {
  switch (condition) {
    case 'EQ':
      return value === threshold;
    case 'NEQ':
      return value !== threshold;
    default: {
      if (typeof value !== 'number' || typeof threshold !== 'number') return false;
      if (condition === 'GT') return value > threshold;
      if (condition === 'GTE') return value >= threshold;
      if (condition === 'LT') return value < threshold;
      return value <= threshold;
    }
  }
}

/** Whether the rule applies to a device of this type and these labels. */
export function ruleMatchesDevice(
  rule: Pick<AlertRule, 'deviceType' | 'deviceLabels'>,
  device: { type: string; labels: Record<string, string> },
): boolean {
  if (rule.deviceType !== null && rule.deviceType !== device.type) return false;
  for (const [key, value] of Object.entries(rule.deviceLabels)) {
    if (device.labels[key] !== value) return false;
  }
  return true;
}
