import type { AlertRuleSnapshot } from '../../src/domain/alerts.js';

/** The rule "temperature above 30, at once", as an episode or a message keeps it. */
export const TOO_HOT_RULE: AlertRuleSnapshot = {
  kind: 'THRESHOLD',
  name: 'Too hot',
  metric: 'temperature',
  condition: 'GT',
  threshold: 30,
  clearThreshold: null,
  forDurationMs: 0,
  windowPoints: null,
};
