import type { NotificationMessage } from '../domain/notifications.js';

/** What a PagerDuty event's summary may hold (Events API v2). */
const MAX_SUMMARY = 1024;

/** The rule as a condition, for the summary: "temperature GT 80", "no data for 5m". */
function describeRule(rule: NotificationMessage['data']['rule']): string {
  if (rule.kind === 'NO_DATA') return `no ${rule.metric ?? 'data'} received`;
  if (rule.kind === 'ANOMALY') return `${rule.metric} anomalous`;
  return `${rule.metric} ${rule.condition} ${JSON.stringify(rule.threshold)}`;
}

/**
 * The PagerDuty Events API v2 event for a notification: `trigger` when the episode begins,
 * `resolve` when it ends, both with the episode id as `dedup_key`, so PagerDuty opens one
 * incident per episode and closes that one. Severity is `error`: rules have none of their own.
 */
export function pagerDutyEvent(message: NotificationMessage, routingKey: string) {
  const { data } = message;
  if (message.type === 'alert.resolved') {
    return { routing_key: routingKey, event_action: 'resolve', dedup_key: data.episodeId };
  }
  const summary = `${data.rule.name}: ${data.device.name} — ${describeRule(data.rule)} (value ${JSON.stringify(data.startValue)})`;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: data.episodeId,
    client: 'IoT analytics API',
    payload: {
      summary: summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY - 1)}…` : summary,
      source: data.device.name || data.device.id,
      severity: 'error',
      timestamp: message.timestamp,
      component: data.rule.metric ?? undefined,
      group: data.device.type,
      class: data.rule.kind,
      custom_details: data,
    },
  };
}
