/**
 * AlertRepository over the Prisma client of the metadata database (src/adapters/prisma/; one PGlite instance or
 * one pg pool per process): whoever opened the client closes it, so this repository has no close.
 */
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type {
  AlertEpisode,
  AlertRule,
  AlertRuleSnapshot,
  AlertState,
} from '../../domain/alerts.js';
import type { MetricValue } from '../../domain/telemetry.js';
import { episodeId } from '../../domain/alert-transitions.js';
import type { AlertRepository, SilenceChange } from '../../ports/alert-repository.js';
import { epochMs, isUuid, iso, toLabels } from '../prisma/columns.js';
import { enqueueNotifications, routeRuleStatements } from './notification-outbox.js';

type RuleRow = Awaited<ReturnType<PrismaClient['alertRule']['findFirstOrThrow']>>;

function toRule(row: RuleRow): AlertRule {
  const base = {
    id: row.id.toLowerCase(),
    organizationId: row.organizationId,
    name: row.name,
    deviceType: row.deviceType,
    deviceLabels: toLabels(row.deviceLabels),
    forDurationMs: row.forDurationMs,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  if (row.kind === 'NO_DATA') {
    return {
      ...base,
      kind: 'NO_DATA',
      metric: row.metric,
      condition: null,
      threshold: null,
      clearThreshold: null,
      windowPoints: null,
    };
  }
  if (row.kind === 'ANOMALY') {
    return {
      ...base,
      kind: 'ANOMALY',
      metric: row.metric!,
      condition: null,
      threshold: row.threshold as number,
      clearThreshold: null,
      windowPoints: row.windowPoints!,
    };
  }
  return {
    ...base,
    kind: 'THRESHOLD',
    windowPoints: null,
    metric: row.metric!,
    condition: row.condition!,
    threshold: row.threshold as MetricValue,
    clearThreshold: (row.clearThreshold ?? null) as MetricValue | null,
  };
}

interface StateRow {
  ruleId: string;
  deviceId: string;
  firing: boolean;
  since: number;
  value: string;
  evaluatedAt: number;
  pendingSince: number | null;
  peak: string | null;
  window: string | null;
}

const fromJson = (text: string | null) =>
  text === null ? null : (JSON.parse(text) as MetricValue);

function toState(organizationId: string, row: StateRow): AlertState {
  const pendingSince = row.pendingSince === null ? null : Number(row.pendingSince);
  return {
    organizationId,
    ruleId: row.ruleId,
    deviceId: row.deviceId,
    // PENDING: not firing yet, the condition met and its duration not yet waited out.
    status: row.firing ? 'FIRING' : pendingSince === null ? 'OK' : 'PENDING',
    since: Number(row.since),
    value: JSON.parse(row.value) as MetricValue,
    evaluatedAt: Number(row.evaluatedAt),
    pendingSince,
    peak: fromJson(row.peak),
    window: row.window === null ? null : (JSON.parse(row.window) as number[]),
  };
}

interface EpisodeRow {
  id: string;
  organizationId: string;
  ruleId: string;
  deviceId: string;
  startedAt: number;
  endedAt: number | null;
  startValue: string;
  peakValue: string;
  endValue: string | null;
  ruleSnapshot: string;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgementNote: string | null;
}

function toEpisode(row: EpisodeRow): AlertEpisode {
  return {
    id: row.id,
    organizationId: row.organizationId,
    ruleId: row.ruleId,
    deviceId: row.deviceId,
    startedAt: Number(row.startedAt),
    endedAt: row.endedAt === null ? null : Number(row.endedAt),
    startValue: JSON.parse(row.startValue) as MetricValue,
    peakValue: JSON.parse(row.peakValue) as MetricValue,
    endValue: fromJson(row.endValue),
    rule: JSON.parse(row.ruleSnapshot) as AlertRuleSnapshot,
    acknowledgement:
      row.acknowledgedAt === null
        ? null
        : {
            by: row.acknowledgedBy ?? '',
            at: Number(row.acknowledgedAt),
            note: row.acknowledgementNote,
          },
  };
}

const EPISODE_COLUMNS = Prisma.sql`
  e.id::text AS id, e.organization_id AS "organizationId", e.rule_id::text AS "ruleId",
  e.device_id::text AS "deviceId", ${epochMs(Prisma.sql`e.started_at`)} AS "startedAt",
  ${epochMs(Prisma.sql`e.ended_at`)} AS "endedAt", e.start_value::text AS "startValue",
  e.peak_value::text AS "peakValue", e.end_value::text AS "endValue",
  e.rule_snapshot::text AS "ruleSnapshot", ${epochMs(Prisma.sql`e.acknowledged_at`)} AS "acknowledgedAt",
  e.acknowledged_by AS "acknowledgedBy", e.acknowledgement_note AS "acknowledgementNote"`;

// Times leave the database as epoch ms and values as JSON text: the same numbers and types
// whichever driver adapter (PGlite or pg) and session time zone read them.
const STATE_COLUMNS = Prisma.sql`
  s.rule_id::text AS "ruleId", s.device_id::text AS "deviceId", s.firing,
  round(extract(epoch FROM s.since) * 1000)::float8 AS since, s.value::text AS value,
  round(extract(epoch FROM s.evaluated_at) * 1000)::float8 AS "evaluatedAt",
  round(extract(epoch FROM s.pending_since) * 1000)::float8 AS "pendingSince", s.peak::text AS peak,
  s."window"::text AS "window"`;

type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/**
 * Prisma writes a Json column's numbers with fewer digits than a double needs (1.0000000000000002
 * is stored as 1, and the largest double rounds past it, to null), so a threshold is written
 * again as JSON text, which jsonb keeps exactly: an EQ rule on 0.1 + 0.2 must compare with the
 * value the device sends. Reading it back through Prisma is exact.
 */
async function writeThresholdExactly(tx: Transaction, id: string, threshold: MetricValue) {
  await tx.$executeRaw`
    UPDATE alert_rules SET threshold = ${JSON.stringify(threshold)}::jsonb WHERE id = ${id}::uuid`;
}

async function routeRule(tx: Transaction, ruleId: string, channelIds: readonly string[]) {
  for (const statement of routeRuleStatements(ruleId, channelIds.filter(isUuid))) {
    await tx.$executeRaw(statement);
  }
}

/** The clear threshold likewise; null clears it (SQL NULL, not JSON null). */
async function writeClearThresholdExactly(tx: Transaction, id: string, clear: MetricValue | null) {
  await tx.$executeRaw`
    UPDATE alert_rules SET clear_threshold = ${clear === null ? null : JSON.stringify(clear)}::jsonb
    WHERE id = ${id}::uuid`;
}

export function createPrismaAlertRepository(options: { prisma: PrismaClient }): AlertRepository {
  const { prisma } = options;

  return {
    async createRule(rule) {
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.alertRule.create({
          data: {
            name: rule.name,
            kind: rule.kind ?? 'THRESHOLD',
            metric: rule.metric,
            condition: rule.condition ?? null,
            // Written exactly below.
            threshold: Prisma.DbNull,
            deviceType: rule.deviceType ?? null,
            deviceLabels: rule.deviceLabels ?? {},
            forDurationMs: rule.forDurationMs ?? 0,
            windowPoints: rule.windowPoints ?? null,
            enabled: rule.enabled ?? true,
            // Organizations come from the identity provider's token claims, so a rule may be the
            // first row the organization has here.
            organization: {
              connectOrCreate: {
                where: { id: rule.organizationId },
                create: { id: rule.organizationId, name: rule.organizationId },
              },
            },
          },
        });
        const threshold = rule.threshold ?? null;
        if (threshold !== null) await writeThresholdExactly(tx, created.id, threshold);
        const clearThreshold = rule.clearThreshold ?? null;
        if (clearThreshold !== null) {
          await writeClearThresholdExactly(tx, created.id, clearThreshold);
        }
        if (rule.channelIds?.length) await routeRule(tx, created.id, rule.channelIds);
        return { ...created, threshold, clearThreshold };
      });
      return toRule(row);
    },

    async updateRule(organizationId, id, patch) {
      if (!isUuid(id)) return null;
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.alertRule.updateMany({
          where: { id, organizationId },
          data: {
            name: patch.name,
            metric: patch.metric,
            condition: patch.condition,
            deviceType: patch.deviceType,
            deviceLabels: patch.deviceLabels,
            forDurationMs: patch.forDurationMs,
            windowPoints: patch.windowPoints,
            enabled: patch.enabled,
            // Also makes a patch of only raw-written fields (clearThreshold) match the row.
            updatedAt: new Date(),
          },
        });
        if (count === 0) return null;
        if (patch.threshold != null) await writeThresholdExactly(tx, id, patch.threshold);
        if (patch.clearThreshold !== undefined) {
          await writeClearThresholdExactly(tx, id, patch.clearThreshold);
        }
        if (patch.channelIds !== undefined) await routeRule(tx, id, patch.channelIds);
        // A disabled rule raises nothing, so nothing of it may look firing.
        if (patch.enabled === false) await tx.alertState.deleteMany({ where: { ruleId: id } });
        return toRule(await tx.alertRule.findFirstOrThrow({ where: { id, organizationId } }));
      });
    },

    async deleteRule(organizationId, id) {
      if (!isUuid(id)) return false;
      // States go with the rule (ON DELETE CASCADE).
      const { count } = await prisma.alertRule.deleteMany({ where: { id, organizationId } });
      return count > 0;
    },

    async listRules(organizationId, options = {}) {
      const rows = await prisma.alertRule.findMany({
        where: { organizationId, ...(options.enabledOnly ? { enabled: true } : {}) },
        // uuid v7 ids are time-ordered: id order is creation order.
        orderBy: { id: 'asc' },
      });
      return rows.map(toRule);
    },

    async findRules(organizationId, ids) {
      const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      if (wanted.length === 0) return [];
      const rows = await prisma.alertRule.findMany({
        where: { organizationId, id: { in: wanted } },
      });
      return rows.map(toRule);
    },

    async getStates(organizationId, pairs) {
      const wanted = pairs.filter((pair) => isUuid(pair.ruleId) && isUuid(pair.deviceId));
      if (wanted.length === 0) return [];
      const rows = await prisma.$queryRaw<StateRow[]>`
        SELECT ${STATE_COLUMNS}
        FROM alert_states s
        JOIN alert_rules r ON r.id = s.rule_id
        JOIN unnest(${wanted.map((p) => p.ruleId)}::uuid[], ${wanted.map((p) => p.deviceId)}::uuid[])
          AS p(rule_id, device_id) ON p.rule_id = s.rule_id AND p.device_id = s.device_id
        WHERE r.organization_id = ${organizationId}`;
      return rows.map((row) => toState(organizationId, row));
    },

    async saveStates(organizationId, states, episodes = []) {
      const valid = states.filter((state) => isUuid(state.ruleId) && isUuid(state.deviceId));
      const validEpisodes = episodes.filter(
        (episode) => isUuid(episode.id) && isUuid(episode.ruleId) && isUuid(episode.deviceId),
      );
      const json = (value: MetricValue | null) => (value === null ? null : JSON.stringify(value));
      const time = (ms: number | null) => (ms === null ? null : iso(ms));
      // One statement for the batch. The joins drop states whose rule or device is not in the
      // organization; the WHERE of the upsert keeps each state moving forward in time only.
      const saveStates = prisma.$executeRaw`
        INSERT INTO alert_states
          (rule_id, device_id, firing, since, value, evaluated_at, pending_since, peak, "window")
        SELECT v.rule_id, v.device_id, v.firing, v.since, v.value::jsonb, v.evaluated_at,
          v.pending_since, v.peak::jsonb, v."window"::jsonb
        FROM unnest(
          ${valid.map((s) => s.ruleId)}::uuid[], ${valid.map((s) => s.deviceId)}::uuid[],
          ${valid.map((s) => s.status === 'FIRING')}::boolean[],
          ${valid.map((s) => iso(s.since))}::timestamptz[],
          ${valid.map((s) => JSON.stringify(s.value))}::text[],
          ${valid.map((s) => iso(s.evaluatedAt))}::timestamptz[],
          ${valid.map((s) => time(s.pendingSince))}::timestamptz[],
          ${valid.map((s) => json(s.peak))}::text[],
          ${valid.map((s) => (s.window === null ? null : JSON.stringify(s.window)))}::text[]
        ) AS v(rule_id, device_id, firing, since, value, evaluated_at, pending_since, peak, "window")
        JOIN alert_rules r ON r.id = v.rule_id AND r.organization_id = ${organizationId}
        JOIN devices d ON d.id = v.device_id AND d.organization_id = ${organizationId}
        ON CONFLICT (rule_id, device_id) DO UPDATE
          SET firing = EXCLUDED.firing, since = EXCLUDED.since, value = EXCLUDED.value,
              evaluated_at = EXCLUDED.evaluated_at, pending_since = EXCLUDED.pending_since,
              peak = EXCLUDED.peak, "window" = EXCLUDED."window"
          WHERE alert_states.evaluated_at < EXCLUDED.evaluated_at`;
      // An episode is inserted once (its id names it); later writes move its peak while it
      // fires and end it once, never reopen it. Its device must be the organization's; its rule may be gone.
      const saveEpisodes = prisma.$executeRaw`
        INSERT INTO alert_episodes (id, organization_id, rule_id, device_id, started_at, ended_at,
          start_value, peak_value, end_value, rule_snapshot)
        SELECT v.id, ${organizationId}, v.rule_id, v.device_id, v.started_at, v.ended_at,
          v.start_value::jsonb, v.peak_value::jsonb, v.end_value::jsonb, v.rule_snapshot::jsonb
        FROM unnest(
          ${validEpisodes.map((e) => e.id)}::uuid[],
          ${validEpisodes.map((e) => e.ruleId)}::uuid[],
          ${validEpisodes.map((e) => e.deviceId)}::uuid[],
          ${validEpisodes.map((e) => iso(e.startedAt))}::timestamptz[],
          ${validEpisodes.map((e) => time(e.endedAt))}::timestamptz[],
          ${validEpisodes.map((e) => JSON.stringify(e.startValue))}::text[],
          ${validEpisodes.map((e) => JSON.stringify(e.peakValue))}::text[],
          ${validEpisodes.map((e) => json(e.endValue))}::text[],
          ${validEpisodes.map((e) => JSON.stringify(e.rule))}::text[]
        ) AS v(id, rule_id, device_id, started_at, ended_at, start_value, peak_value, end_value,
          rule_snapshot)
        JOIN devices d ON d.id = v.device_id AND d.organization_id = ${organizationId}
        ON CONFLICT (id) DO UPDATE
          SET peak_value = CASE WHEN alert_episodes.ended_at IS NULL
                THEN EXCLUDED.peak_value ELSE alert_episodes.peak_value END,
              ended_at = COALESCE(alert_episodes.ended_at, EXCLUDED.ended_at),
              end_value = COALESCE(alert_episodes.end_value, EXCLUDED.end_value)
          WHERE alert_episodes.organization_id = ${organizationId}`;
      const writes = [
        ...(valid.length > 0 ? [saveStates] : []),
        ...(validEpisodes.length > 0
          ? [saveEpisodes, prisma.$executeRaw(enqueueNotifications(validEpisodes.map((e) => e.id)))]
          : []),
      ];
      if (writes.length > 0) await prisma.$transaction(writes);
    },

    async listStates(organizationId, filter) {
      const conditions = [Prisma.sql`r.organization_id = ${organizationId}`, Prisma.sql`r.enabled`];
      if (filter.status === 'FIRING') conditions.push(Prisma.sql`s.firing`);
      if (filter.status === 'PENDING') {
        conditions.push(Prisma.sql`NOT s.firing AND s.pending_since IS NOT NULL`);
      }
      if (filter.status === 'OK') {
        conditions.push(Prisma.sql`NOT s.firing AND s.pending_since IS NULL`);
      }
      if (filter.ruleId !== undefined) {
        if (!isUuid(filter.ruleId)) return [];
        conditions.push(Prisma.sql`s.rule_id = ${filter.ruleId}::uuid`);
      }
      if (filter.deviceId !== undefined) {
        if (!isUuid(filter.deviceId)) return [];
        conditions.push(Prisma.sql`s.device_id = ${filter.deviceId}::uuid`);
      }
      const rows = await prisma.$queryRaw<StateRow[]>`
        SELECT ${STATE_COLUMNS}
        FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id
        WHERE ${Prisma.join(conditions, ' AND ')}
        ORDER BY s.since DESC, s.rule_id, s.device_id
        LIMIT ${filter.limit}`;
      return rows.map((row) => toState(organizationId, row));
    },

    async listEpisodes(organizationId, filter) {
      const conditions = [Prisma.sql`e.organization_id = ${organizationId}`];
      for (const [column, id] of [
        ['rule_id', filter.ruleId],
        ['device_id', filter.deviceId],
      ] as const) {
        if (id === undefined) continue;
        if (!isUuid(id)) return [];
        conditions.push(Prisma.sql`e.${Prisma.raw(column)} = ${id}::uuid`);
      }
      if (filter.firing !== undefined) {
        conditions.push(
          filter.firing ? Prisma.sql`e.ended_at IS NULL` : Prisma.sql`e.ended_at IS NOT NULL`,
        );
      }
      if (filter.after) {
        if (!isUuid(filter.after.id)) return [];
        conditions.push(
          Prisma.sql`(e.started_at, e.id) < (${iso(filter.after.startedAt)}::timestamptz, ${filter.after.id}::uuid)`,
        );
      }
      const rows = await prisma.$queryRaw<EpisodeRow[]>`
        SELECT ${EPISODE_COLUMNS} FROM alert_episodes e
        WHERE ${Prisma.join(conditions, ' AND ')}
        ORDER BY e.started_at DESC, e.id DESC
        LIMIT ${filter.limit}`;
      return rows.map(toEpisode);
    },

    async findEpisodes(organizationId, ids) {
      const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      if (wanted.length === 0) return [];
      const rows = await prisma.$queryRaw<EpisodeRow[]>`
        SELECT ${EPISODE_COLUMNS} FROM alert_episodes e
        WHERE e.organization_id = ${organizationId} AND e.id = ANY(${wanted}::uuid[])`;
      return rows.map(toEpisode);
    },

    async acknowledgeEpisode(organizationId, id, acknowledgement) {
      if (!isUuid(id)) return null;
      const rows = await prisma.$queryRaw<EpisodeRow[]>`
        UPDATE alert_episodes e
        SET acknowledged_at = ${iso(acknowledgement.at)}::timestamptz,
            acknowledged_by = ${acknowledgement.by},
            acknowledgement_note = ${acknowledgement.note}
        WHERE e.organization_id = ${organizationId} AND e.id = ${id}::uuid
        RETURNING ${EPISODE_COLUMNS}`;
      return rows[0] ? toEpisode(rows[0]) : null;
    },

    async touchSilences(organizationId, touches) {
      const valid = touches.filter((t) => isUuid(t.ruleId) && isUuid(t.deviceId));
      if (valid.length === 0) return [];
      const ruleIds = valid.map((t) => t.ruleId);
      const deviceIds = valid.map((t) => t.deviceId);
      return prisma.$transaction(async (tx) => {
        // Locked first: a sweep claiming one of these either went before (read here as FIRING,
        // so resolved now) or waits and then finds the deadline moved.
        const prior = await tx.$queryRaw<
          {
            ruleId: string;
            deviceId: string;
            firing: boolean;
            since: number;
            deadline: number | null;
          }[]
        >`
          SELECT s.rule_id::text AS "ruleId", s.device_id::text AS "deviceId", s.firing,
            ${epochMs(Prisma.sql`s.since`)} AS since, ${epochMs(Prisma.sql`s.deadline`)} AS deadline
          FROM alert_states s
          JOIN unnest(${ruleIds}::uuid[], ${deviceIds}::uuid[]) AS p(rule_id, device_id)
            ON p.rule_id = s.rule_id AND p.device_id = s.device_id
          FOR UPDATE OF s`;
        const priorOf = new Map(prior.map((row) => [`${row.ruleId} ${row.deviceId}`, row]));
        const resolved: SilenceChange[] = [];
        const silentSeconds = valid.map((touch) => {
          const before = priorOf.get(`${touch.ruleId} ${touch.deviceId}`);
          if (!before?.firing) return 0;
          // Heard from last at its old deadline minus the duration.
          const lastHeard = Number(before.deadline ?? before.since) - touch.durationMs;
          return Math.round((touch.receivedAt - lastHeard) / 1000);
        });
        const saved = await tx.$queryRaw<{ ruleId: string; deviceId: string }[]>`
          INSERT INTO alert_states (rule_id, device_id, firing, since, value, evaluated_at, deadline)
          SELECT v.rule_id, v.device_id, false, v.received_at, to_jsonb(v.silent), v.received_at,
            v.received_at + v.duration_ms * interval '1 millisecond'
          FROM unnest(
            ${ruleIds}::uuid[], ${deviceIds}::uuid[],
            ${valid.map((t) => iso(t.receivedAt))}::timestamptz[],
            ${valid.map((t) => t.durationMs)}::int[], ${silentSeconds}::int[]
          ) AS v(rule_id, device_id, received_at, duration_ms, silent)
          JOIN alert_rules r ON r.id = v.rule_id AND r.organization_id = ${organizationId}
            AND r.kind = 'NO_DATA'
          JOIN devices d ON d.id = v.device_id AND d.organization_id = ${organizationId}
          ON CONFLICT (rule_id, device_id) DO UPDATE
            SET firing = false, deadline = EXCLUDED.deadline, evaluated_at = EXCLUDED.evaluated_at,
                since = CASE WHEN alert_states.firing THEN EXCLUDED.since ELSE alert_states.since END,
                value = CASE WHEN alert_states.firing THEN EXCLUDED.value ELSE alert_states.value END,
                peak = NULL, pending_since = NULL
            WHERE alert_states.evaluated_at < EXCLUDED.evaluated_at
          RETURNING rule_id::text AS "ruleId", device_id::text AS "deviceId"`;
        const savedPairs = new Set(saved.map((row) => `${row.ruleId} ${row.deviceId}`));
        valid.forEach((touch, index) => {
          const key = `${touch.ruleId} ${touch.deviceId}`;
          const before = priorOf.get(key);
          if (!before?.firing || !savedPairs.has(key)) return;
          resolved.push({
            organizationId,
            ruleId: touch.ruleId,
            deviceId: touch.deviceId,
            episodeId: episodeId(touch.ruleId, touch.deviceId, Number(before.since)),
            at: touch.receivedAt,
            silentSeconds: silentSeconds[index]!,
          });
        });
        if (resolved.length > 0) {
          await tx.$executeRaw`
            UPDATE alert_episodes e
            SET ended_at = v.ended_at, end_value = to_jsonb(v.silent), peak_value = to_jsonb(v.silent)
            FROM unnest(
              ${resolved.map((r) => r.episodeId)}::uuid[],
              ${resolved.map((r) => iso(r.at))}::timestamptz[],
              ${resolved.map((r) => r.silentSeconds)}::int[]
            ) AS v(id, ended_at, silent)
            WHERE e.id = v.id AND e.organization_id = ${organizationId} AND e.ended_at IS NULL`;
          await tx.$executeRaw(enqueueNotifications(resolved.map((r) => r.episodeId)));
        }
        return resolved;
      });
    },

    async claimSilences(now, limit) {
      return prisma.$transaction(async (tx) => {
        const fired = await tx.$queryRaw<
          (Omit<RuleRow, 'createdAt' | 'updatedAt'> & { deviceId: string; since: number })[]
        >`
          UPDATE alert_states s
          SET firing = true, since = s.deadline, deadline = NULL, pending_since = NULL,
            value = to_jsonb(r.for_duration_ms / 1000), peak = to_jsonb(r.for_duration_ms / 1000)
          FROM (
            SELECT due.rule_id, due.device_id FROM alert_states due
            JOIN alert_rules dr ON dr.id = due.rule_id AND dr.enabled AND dr.kind = 'NO_DATA'
            WHERE due.deadline <= ${iso(now)}::timestamptz AND NOT due.firing
            ORDER BY due.deadline
            LIMIT ${limit}
            FOR UPDATE OF due SKIP LOCKED
          ) AS claimed, alert_rules r
          WHERE s.rule_id = claimed.rule_id AND s.device_id = claimed.device_id AND r.id = s.rule_id
          RETURNING r.id::text AS id, r.organization_id AS "organizationId", r.name, r.kind,
            r.metric, r.for_duration_ms AS "forDurationMs", s.device_id::text AS "deviceId",
            ${epochMs(Prisma.sql`s.since`)} AS since`;
        if (fired.length === 0) return [];
        const changes: SilenceChange[] = fired.map((row) => ({
          organizationId: row.organizationId,
          ruleId: row.id,
          deviceId: row.deviceId,
          episodeId: episodeId(row.id, row.deviceId, Number(row.since)),
          at: Number(row.since),
          silentSeconds: Math.round(row.forDurationMs / 1000),
        }));
        await tx.$executeRaw`
          INSERT INTO alert_episodes (id, organization_id, rule_id, device_id, started_at,
            start_value, peak_value, rule_snapshot)
          SELECT v.id, v.organization_id, v.rule_id, v.device_id, v.started_at, to_jsonb(v.silent),
            to_jsonb(v.silent), v.rule_snapshot::jsonb
          FROM unnest(
            ${changes.map((c) => c.episodeId)}::uuid[],
            ${changes.map((c) => c.organizationId)}::text[],
            ${changes.map((c) => c.ruleId)}::uuid[],
            ${changes.map((c) => c.deviceId)}::uuid[],
            ${changes.map((c) => iso(c.at))}::timestamptz[],
            ${changes.map((c) => c.silentSeconds)}::int[],
            ${fired.map((row) =>
              JSON.stringify({
                kind: 'NO_DATA',
                name: row.name,
                metric: row.metric,
                condition: null,
                threshold: null,
                clearThreshold: null,
                forDurationMs: row.forDurationMs,
                windowPoints: null,
              }),
            )}::text[]
          ) AS v(id, organization_id, rule_id, device_id, started_at, silent, rule_snapshot)
          ON CONFLICT (id) DO NOTHING`;
        await tx.$executeRaw(enqueueNotifications(changes.map((c) => c.episodeId)));
        return changes;
      });
    },
  };
}
