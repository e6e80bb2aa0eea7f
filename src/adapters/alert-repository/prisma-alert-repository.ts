/**
 * AlertRepository over the Prisma client of the metadata database (src/adapters/prisma/; one PGlite instance or
 * one pg pool per process): whoever opened the client closes it, so this repository has no close.
 */
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import type { AlertRule, AlertState } from '../../domain/alerts.js';
import type { MetricValue } from '../../domain/telemetry.js';
import type { AlertRepository } from '../../ports/alert-repository.js';
import { isUuid, toLabels } from '../prisma/columns.js';

type RuleRow = Awaited<ReturnType<PrismaClient['alertRule']['findFirstOrThrow']>>;

function toRule(row: RuleRow): AlertRule {
  return {
    id: row.id.toLowerCase(),
    organizationId: row.organizationId,
    name: row.name,
    metric: row.metric,
    condition: row.condition,
    threshold: row.threshold as MetricValue,
    deviceType: row.deviceType,
    deviceLabels: toLabels(row.deviceLabels),
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

interface StateRow {
  ruleId: string;
  deviceId: string;
  firing: boolean;
  since: number;
  value: string;
  evaluatedAt: number;
}

function toState(organizationId: string, row: StateRow): AlertState {
  return {
    organizationId,
    ruleId: row.ruleId,
    deviceId: row.deviceId,
    status: row.firing ? 'FIRING' : 'OK',
    since: Number(row.since),
    value: JSON.parse(row.value) as MetricValue,
    evaluatedAt: Number(row.evaluatedAt),
  };
}

// Times leave the database as epoch ms and values as JSON text: the same numbers and types
// whichever driver adapter (PGlite or pg) and session time zone read them.
const STATE_COLUMNS = Prisma.sql`
  s.rule_id::text AS "ruleId", s.device_id::text AS "deviceId", s.firing,
  round(extract(epoch FROM s.since) * 1000)::float8 AS since, s.value::text AS value,
  round(extract(epoch FROM s.evaluated_at) * 1000)::float8 AS "evaluatedAt"`;

const iso = (ms: number) => new Date(ms).toISOString();

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

export function createPrismaAlertRepository(options: { prisma: PrismaClient }): AlertRepository {
  const { prisma } = options;

  return {
    async createRule(rule) {
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.alertRule.create({
          data: {
            name: rule.name,
            metric: rule.metric,
            condition: rule.condition,
            threshold: rule.threshold,
            deviceType: rule.deviceType ?? null,
            deviceLabels: rule.deviceLabels ?? {},
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
        await writeThresholdExactly(tx, created.id, rule.threshold);
        return { ...created, threshold: rule.threshold };
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
            threshold: patch.threshold,
            deviceType: patch.deviceType,
            deviceLabels: patch.deviceLabels,
            enabled: patch.enabled,
          },
        });
        if (count === 0) return null;
        if (patch.threshold !== undefined) await writeThresholdExactly(tx, id, patch.threshold);
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

    async saveStates(organizationId, states) {
      const valid = states.filter((state) => isUuid(state.ruleId) && isUuid(state.deviceId));
      if (valid.length === 0) return;
      // One statement for the batch. The joins drop states whose rule or device is not in the
      // organization; the WHERE of the upsert keeps each state moving forward in time only.
      await prisma.$executeRaw`
        INSERT INTO alert_states (rule_id, device_id, firing, since, value, evaluated_at)
        SELECT v.rule_id, v.device_id, v.firing, v.since, v.value::jsonb, v.evaluated_at
        FROM unnest(
          ${valid.map((s) => s.ruleId)}::uuid[], ${valid.map((s) => s.deviceId)}::uuid[],
          ${valid.map((s) => s.status === 'FIRING')}::boolean[],
          ${valid.map((s) => iso(s.since))}::timestamptz[],
          ${valid.map((s) => JSON.stringify(s.value))}::text[],
          ${valid.map((s) => iso(s.evaluatedAt))}::timestamptz[]
        ) AS v(rule_id, device_id, firing, since, value, evaluated_at)
        JOIN alert_rules r ON r.id = v.rule_id AND r.organization_id = ${organizationId}
        JOIN devices d ON d.id = v.device_id AND d.organization_id = ${organizationId}
        ON CONFLICT (rule_id, device_id) DO UPDATE
          SET firing = EXCLUDED.firing, since = EXCLUDED.since, value = EXCLUDED.value,
              evaluated_at = EXCLUDED.evaluated_at
          WHERE alert_states.evaluated_at < EXCLUDED.evaluated_at`;
    },

    async listStates(organizationId, filter) {
      const conditions = [Prisma.sql`r.organization_id = ${organizationId}`, Prisma.sql`r.enabled`];
      if (filter.status !== undefined) {
        conditions.push(Prisma.sql`s.firing = ${filter.status === 'FIRING'}`);
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
  };
}
