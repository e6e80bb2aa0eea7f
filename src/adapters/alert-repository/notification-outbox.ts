import { Prisma } from '../../generated/prisma/client.js';

/** A timestamptz as ISO 8601 in UTC with milliseconds, whatever the session's time zone. */
const isoText = (column: Prisma.Sql) =>
  Prisma.sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The outbox write (src/ports/notification-repository.ts): for each of these episodes, a delivery
 * of its FIRING, and of its RESOLVED once it has ended, to each enabled channel its rule routes
 * to. Run in the transaction that changed the episodes, after their write, so a message exists
 * exactly when the change does: a process killed after the commit still has every message to
 * send, and one killed before has neither.
 *
 * A delivery's id is derived from (episode, event, channel), so writing the same change again (a
 * redelivered batch, a peak that moved) adds nothing; it is the webhook-id receivers
 * de-duplicate by. The message is built here, from the episode and its device as they are now,
 * and sent as it is on every attempt.
 */
export function enqueueNotifications(episodeIds: readonly string[]): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO notification_deliveries (id, organization_id, channel_id, episode_id, event, payload)
    SELECT md5(e.id::text || ':' || ev.event || ':' || c.id::text)::uuid, e.organization_id, c.id,
      e.id, ev.event,
      jsonb_build_object(
        'type', CASE ev.event WHEN 'FIRING' THEN 'alert.firing' ELSE 'alert.resolved' END,
        'timestamp', ${isoText(Prisma.sql`CASE ev.event WHEN 'FIRING' THEN e.started_at ELSE e.ended_at END`)},
        'data', jsonb_build_object(
          'organizationId', e.organization_id,
          'episodeId', e.id,
          'status', CASE ev.event WHEN 'FIRING' THEN 'FIRING' ELSE 'OK' END,
          'rule', e.rule_snapshot || jsonb_build_object('id', e.rule_id),
          'device', jsonb_build_object('id', d.id, 'name', d.name, 'type', d.type, 'labels', d.labels),
          'startedAt', ${isoText(Prisma.sql`e.started_at`)},
          'endedAt', CASE ev.event WHEN 'FIRING' THEN NULL ELSE ${isoText(Prisma.sql`e.ended_at`)} END,
          'startValue', e.start_value,
          'peakValue', CASE ev.event WHEN 'FIRING' THEN e.start_value ELSE e.peak_value END,
          'endValue', CASE ev.event WHEN 'FIRING' THEN NULL ELSE e.end_value END))
    FROM alert_episodes e
    JOIN devices d ON d.id = e.device_id
    JOIN alert_rule_channels rc ON rc.rule_id = e.rule_id
    JOIN notification_channels c ON c.id = rc.channel_id AND c.enabled
      AND c.organization_id = e.organization_id
    CROSS JOIN (VALUES ('FIRING'), ('RESOLVED')) AS ev(event)
    WHERE e.id = ANY(${episodeIds}::uuid[]) AND (ev.event = 'FIRING' OR e.ended_at IS NOT NULL)
    ON CONFLICT (id) DO NOTHING`;
}

/**
 * Routes a rule to these channels, replacing its routes; ids that are not channels of the
 * rule's organization are left out (the resolver has refused them already).
 */
export function routeRuleStatements(ruleId: string, channelIds: readonly string[]) {
  return [
    Prisma.sql`DELETE FROM alert_rule_channels WHERE rule_id = ${ruleId}::uuid`,
    Prisma.sql`
      INSERT INTO alert_rule_channels (rule_id, channel_id)
      SELECT r.id, c.id FROM alert_rules r
      JOIN notification_channels c ON c.organization_id = r.organization_id
        AND c.id = ANY(${channelIds}::uuid[])
      WHERE r.id = ${ruleId}::uuid
      ON CONFLICT DO NOTHING`,
  ];
}
