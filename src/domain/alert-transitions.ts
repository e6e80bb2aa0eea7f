import { createHash } from 'node:crypto';
import {
  meetsCondition,
  MIN_ANOMALY_WINDOW,
  type AlertCondition,
  type AlertState,
  type AnomalyRule,
  type ThresholdRule,
} from './alerts.js';
import type { MetricValue } from './telemetry.js';

/** A point's value of a rule's metric, at the point's time. */
export interface RuleReading {
  ts: number;
  value: MetricValue;
}

export interface AlertTransition {
  state: AlertState;
  /** Set when the alert began to fire (FIRING) or resolved (OK): a change to report. */
  change?: 'FIRING' | 'OK';
}

type Judged = 'id' | 'kind' | 'condition' | 'threshold' | 'clearThreshold' | 'forDurationMs';
type RuleTiming = Pick<ThresholdRule, Judged> | Pick<AnomalyRule, Judged | 'windowPoints'>;

const median = (sorted: readonly number[]) => {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Whether `value` lies more than k median absolute deviations from the median of `window` (the
 * robust "modified z-score" test: one spike does not move the median the way it moves a mean).
 * A window of identical values has no deviation: any other value is anomalous then.
 */
export function isAnomalous(k: number, window: readonly number[], value: MetricValue): boolean {
  if (typeof value !== 'number' || window.length < MIN_ANOMALY_WINDOW) return false;
  const center = median([...window].sort((a, b) => a - b));
  const mad = median(window.map((x) => Math.abs(x - center)).sort((a, b) => a - b));
  const distance = Math.abs(value - center);
  return mad === 0 ? distance > 0 : distance > k * mad;
}

/**
 * Whether the value is on the alerting side: of the threshold while OK, of the clear threshold
 * while FIRING; for an ANOMALY rule, away from the device's recent values.
 */
function alerting(rule: RuleTiming, state: AlertState | undefined, value: MetricValue): boolean {
  if (rule.kind === 'ANOMALY') return isAnomalous(rule.threshold, state?.window ?? [], value);
  const firing = state?.status === 'FIRING';
  const threshold = firing && rule.clearThreshold !== null ? rule.clearThreshold : rule.threshold;
  return meetsCondition(rule.condition, threshold, value);
}

/** The rule's window with the value added, its oldest dropped past the size; null but for ANOMALY. */
function nextWindow(rule: RuleTiming, state: AlertState | undefined, value: MetricValue) {
  if (rule.kind !== 'ANOMALY') return null;
  const window = state?.window ?? [];
  if (typeof value !== 'number') return window;
  return [...window, value].slice(-rule.windowPoints);
}

/** The more extreme of two values in the condition's direction; the first one for EQ and NEQ. */
function peakOf(condition: AlertCondition | null, peak: MetricValue, value: MetricValue) {
  if (typeof peak !== 'number' || typeof value !== 'number') return peak;
  if (condition === 'GT' || condition === 'GTE') return Math.max(peak, value);
  if (condition === 'LT' || condition === 'LTE') return Math.min(peak, value);
  return peak;
}

/**
 * Where one reading moves a device's alert for a rule. The condition must hold for the rule's
 * `forDurationMs` (from the first reading that met it to one that still does) before the alert
 * fires, PENDING meanwhile; once FIRING, readings are compared with the clear threshold, and it
 * must fail to hold for as long before the alert is OK again. A reading that breaks the streak
 * starts the wait over, so a value hovering at the threshold does not flap. Durations are
 * measured in the points' own times: a device that stops sending stays where it was (a NO_DATA
 * rule watches for that). A first reading that finds nothing wrong is recorded, not reported.
 */
export function nextAlertState(
  rule: RuleTiming,
  pair: { organizationId: string; deviceId: string },
  state: AlertState | undefined,
  reading: RuleReading,
): AlertTransition {
  const { ts, value } = reading;
  const firing = state?.status === 'FIRING';
  const bad = alerting(rule, state, value);
  const window = nextWindow(rule, state, value);
  if (!firing) {
    const okSince = state?.since ?? ts;
    const okValue = state?.value ?? value;
    if (!bad) {
      return {
        state: {
          ...pair,
          ruleId: rule.id,
          status: 'OK',
          since: okSince,
          value: state?.status === 'OK' ? okValue : value,
          pendingSince: null,
          peak: null,
          evaluatedAt: ts,
          window,
        },
      };
    }
    const pendingSince = state?.pendingSince ?? ts;
    if (ts - pendingSince >= rule.forDurationMs) {
      return {
        state: {
          ...pair,
          ruleId: rule.id,
          status: 'FIRING',
          since: ts,
          value,
          pendingSince: null,
          peak: value,
          evaluatedAt: ts,
          window,
        },
        change: 'FIRING',
      };
    }
    return {
      state: {
        ...pair,
        ruleId: rule.id,
        status: 'PENDING',
        since: okSince,
        value: state?.status === 'PENDING' ? okValue : value,
        pendingSince,
        peak: null,
        evaluatedAt: ts,
        window,
      },
    };
  }
  const peak = peakOf(rule.condition, state.peak ?? state.value, value);
  if (bad) {
    return { state: { ...state, pendingSince: null, peak, evaluatedAt: ts, window } };
  }
  const clearingSince = state.pendingSince ?? ts;
  if (ts - clearingSince >= rule.forDurationMs) {
    return {
      state: {
        ...state,
        status: 'OK',
        since: ts,
        value,
        pendingSince: null,
        peak: null,
        evaluatedAt: ts,
        window,
      },
      change: 'OK',
    };
  }
  return { state: { ...state, pendingSince: clearingSince, peak, evaluatedAt: ts, window } };
}

/**
 * An episode's id, the same wherever and however often it is computed: a rule, a device and the
 * time it began to fire name one episode, so a redelivered batch or a second replica opens and
 * closes the same row (and a notification's `dedup_key` stays stable). A UUID (version 8, the
 * RFC 9562 form for custom ids) from SHA-256 of the three.
 */
export function episodeId(ruleId: string, deviceId: string, startedAt: number): string {
  const hash = createHash('sha256').update(`${ruleId}\u0000${deviceId}\u0000${startedAt}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
