/**
 * The retention organizations set for their own data (domain/retention.ts), as columns of
 * `organizations` in whole hours (every period is a whole number of hours).
 */
import type { PrismaClient } from '../../generated/prisma/client.js';
import { periodOfHours, type Retention } from '../../domain/retention.js';
import type { DeviceRepository } from '../../ports/device-repository.js';

interface RetentionColumns {
  rawRetentionHours: number | null;
  rollupRetentionHours: number | null;
}

const HOUR_MS = 3_600_000;
const hoursOf = (period: { ms: number } | undefined) =>
  period === undefined ? null : Math.round(period.ms / HOUR_MS);

export function retentionOf(columns: RetentionColumns): Retention {
  const retention: Retention = {};
  if (columns.rawRetentionHours !== null) retention.raw = periodOfHours(columns.rawRetentionHours);
  if (columns.rollupRetentionHours !== null) {
    retention.rollups = periodOfHours(columns.rollupRetentionHours);
  }
  return retention;
}

const SELECT = { rawRetentionHours: true, rollupRetentionHours: true } as const;

export function organizationRetention(
  prisma: PrismaClient,
): Pick<DeviceRepository, 'getRetention' | 'setRetention' | 'listRetentions'> {
  return {
    async getRetention(organizationId) {
      const row = await prisma.organization.findUnique({
        where: { id: organizationId },
        select: SELECT,
      });
      return row ? retentionOf(row) : {};
    },

    async setRetention(organizationId, retention) {
      const columns = {
        rawRetentionHours: hoursOf(retention.raw),
        rollupRetentionHours: hoursOf(retention.rollups),
      };
      await prisma.organization.upsert({
        where: { id: organizationId },
        create: { id: organizationId, name: organizationId, ...columns },
        update: columns,
      });
    },

    async listRetentions() {
      const rows = await prisma.organization.findMany({
        where: {
          OR: [{ rawRetentionHours: { not: null } }, { rollupRetentionHours: { not: null } }],
        },
        select: { id: true, ...SELECT },
      });
      return new Map(rows.map((row) => [row.id, retentionOf(row)]));
    },
  };
}
