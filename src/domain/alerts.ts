import type { MetricValue } from './telemetry.js';

/**
 * Alert rules: "metric <condition> threshold" on an organization's devices, optionally only those
 * of one type or carrying some labels. The pipeline evaluates every stored point against the
 * rules of its organization; a device's alert for a rule is FIRING while its newest value of the
 * metric meets the condition, OK otherwise.
 */
export const ALERT_CONDITIONS = ['GT', 'GTE', 'LT', 'LTE', 'EQ', 'NEQ'] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

/** Conditions that order values: they need a numeric threshold and only numbers meet them. */
export const ORDERING_CONDITIONS: ReadonlySet<AlertCondition> = new Set(['GT', 'GTE', 'LT', 'LTE']);

export type AlertStatus = 'FIRING' | 'OK';

export interface AlertRule {
  id: string;
  organizationId: string;
  name: string;
  metric: string;
  condition: AlertCondition;
  threshold: MetricValue;
  /** Only devices of this type; every type when null. */
  deviceType: string | null;
  /** Only devices carrying every one of these labels. */
  deviceLabels: Record<string, string>;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

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
   * Time of the newest point evaluated (epoch ms). Points at or before it are not evaluated
   * again, so a redelivered batch raises no second alert and a late point cannot undo a newer one.
   */
  evaluatedAt: number;
}

/** A change of status, as the pipeline publishes it to live subscribers. */
export interface AlertEvent {
  organizationId: string;
  ruleId: string;
  deviceId: string;
  status: AlertStatus;
  value: MetricValue;
  /** The time of the point that changed the status (epoch ms). */
  ts: number;
}

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
