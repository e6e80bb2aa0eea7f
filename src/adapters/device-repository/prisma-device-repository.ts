/**
 * DeviceRepository over a Prisma client; the driver adapter (PGlite or pg) is the caller's
 * choice, so embedded and production share every query.
 */
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import {
  DuplicateExternalIdError,
  type DevicePage,
  type DevicePageRequest,
  type DeviceFilter,
  type DevicePatch,
  type DeviceRepository,
} from '../../ports/device-repository.js';
import { isUuid, toLabels } from '../prisma/columns.js';
import { toDevice, toLocationColumns, type DeviceRow } from './device-row.js';

export interface PrismaDeviceRepositoryOptions {
  /** Shared with the other repositories; the database (src/adapters/prisma/) closes it. */
  prisma: PrismaClient;
}

/** The WHERE conditions of an organization's devices matching `filter`; every value bound. */
function filterConditions(organizationId: string, filter: DeviceFilter): Prisma.Sql[] {
  const conditions = [Prisma.sql`organization_id = ${organizationId}`];
  if (filter.type !== undefined) conditions.push(Prisma.sql`type = ${filter.type}`);
  if (filter.status !== undefined) {
    conditions.push(Prisma.sql`status = ${filter.status}::device_status`);
  }
  if (filter.labels !== undefined && Object.keys(filter.labels).length > 0) {
    // jsonb @> is what the GIN (jsonb_path_ops) index serves; Prisma's Json filters compile
    // to per-path comparisons that cannot use it, hence this raw (bound-parameter) query.
    conditions.push(Prisma.sql`labels @> ${JSON.stringify(filter.labels)}::jsonb`);
  }
  if (filter.search !== undefined && filter.search !== '') {
    // strpos rather than ILIKE: the user's % and _ stay literal without escaping.
    const needle = filter.search.toLowerCase();
    conditions.push(
      Prisma.sql`(strpos(lower(name), ${needle}) > 0 OR strpos(lower(external_id), ${needle}) > 0)`,
    );
  }
  return conditions;
}

export function createPrismaDeviceRepository(
  options: PrismaDeviceRepositoryOptions,
): DeviceRepository {
  const { prisma } = options;

  async function listDevices(request: DevicePageRequest): Promise<DevicePage> {
    const { organizationId, filter = {}, first, after } = request;
    if (!Number.isInteger(first) || first < 0) {
      throw new RangeError(`first must be a non-negative integer, got ${first}`);
    }
    // A cursor we never handed out cannot point anywhere in the id order.
    if (after !== undefined && !isUuid(after)) return { devices: [], hasNextPage: false };

    const conditions = filterConditions(organizationId, filter);
    if (after !== undefined) conditions.push(Prisma.sql`id > ${after}::uuid`);

    // The page comes back as one JSON text value rather than a row per device: decoding 13
    // columns × 51 rows through the wire protocol and the driver adapter cost about twice as
    // much (measured on PGlite with bench/graphql-page.ts). uuids arrive as lower-case text,
    // ordered as uuids; timestamps as ISO text, read the way Prisma reads them (below).
    const [page] = await prisma.$queryRaw<[{ page: string }]>`
      SELECT coalesce(json_agg(t ORDER BY t.id), '[]')::text AS page FROM (
        SELECT id, organization_id AS "organizationId", external_id AS "externalId",
               name, type, labels, latitude, longitude, altitude, status,
               last_seen_at AS "lastSeenAt", created_at AS "createdAt", updated_at AS "updatedAt"
        FROM devices
        WHERE ${Prisma.join(conditions, ' AND ')}
        ORDER BY devices.id
        LIMIT ${first + 1}
      ) AS t`;
    const rows = (JSON.parse(page.page) as DeviceRow[]).map(readTimestampsLikePrisma);
    return { devices: rows.slice(0, first).map(toDevice), hasNextPage: rows.length > first };
  }

  async function updateDevice(organizationId: string, id: string, patch: DevicePatch) {
    if (!isUuid(id)) return null;
    try {
      const row = await prisma.device.update({
        where: { id, organizationId },
        data: {
          name: patch.name,
          type: patch.type,
          labels: patch.labels,
          status: patch.status,
          ...(patch.location === undefined ? {} : toLocationColumns(patch.location)),
        },
      });
      return toDevice(row);
    } catch (error) {
      if (isPrismaError(error, 'P2025')) return null;
      throw error;
    }
  }

  return {
    async countDevices(organizationId, filter) {
      const [row] = await prisma.$queryRaw<[{ count: number }]>`
        SELECT count(*)::int AS count FROM devices
        WHERE ${Prisma.join(filterConditions(organizationId, filter), ' AND ')}`;
      return row.count;
    },

    async listFleet(organizationId, filter, limit) {
      if (!Number.isInteger(limit) || limit < 0) {
        throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
      }
      // One JSON text value, as listDevices reads its page (the reason is there).
      const [fleet] = await prisma.$queryRaw<[{ fleet: string }]>`
        SELECT coalesce(json_agg(t ORDER BY t.id), '[]')::text AS fleet FROM (
          SELECT id, type, labels FROM devices
          WHERE ${Prisma.join(filterConditions(organizationId, filter), ' AND ')}
          ORDER BY id
          LIMIT ${limit}
        ) AS t`;
      return (JSON.parse(fleet.fleet) as { id: string; type: string; labels: unknown }[]).map(
        (row) => ({ id: row.id.toLowerCase(), type: row.type, labels: toLabels(row.labels) }),
      );
    },

    async ensureOrganization(id, name) {
      return prisma.organization.upsert({ where: { id }, create: { id, name }, update: {} });
    },

    async createDevice(device, tokenHash) {
      try {
        const row = await prisma.device.create({
          data: {
            organizationId: device.organizationId,
            externalId: device.externalId,
            name: device.name,
            type: device.type,
            labels: device.labels ?? {},
            ...toLocationColumns(device.location ?? null),
            // A nested create runs in the same transaction as the device's insert.
            credentials: { create: { tokenHash } },
          },
        });
        return toDevice(row);
      } catch (error) {
        if (
          isPrismaError(error, 'P2002') &&
          violatedFields(error).some((field) => field.includes('external_id'))
        ) {
          throw new DuplicateExternalIdError(device.externalId);
        }
        throw error;
      }
    },

    async findDevices(organizationId, ids) {
      // Postgres reads uuids in any case and answers in lower case; key the answers the same way.
      const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      const rows =
        wanted.length === 0
          ? []
          : await prisma.device.findMany({ where: { organizationId, id: { in: wanted } } });
      const byId = new Map(rows.map((row) => [row.id.toLowerCase(), toDevice(row)]));
      return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
    },

    listDevices,
    updateDevice,

    async rotateCredential(organizationId, id, tokenHash, graceSeconds = 0) {
      if (!isUuid(id)) return null;
      return prisma.$transaction(async (tx) => {
        // The row lock serialises concurrent rotations of one device: without it each could revoke
        // only the credentials it saw and both new ones would stay live.
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id::text AS id FROM devices
          WHERE id = ${id}::uuid AND organization_id = ${organizationId}
          FOR UPDATE`;
        if (locked.length === 0) return null;
        const device = await tx.device.findUniqueOrThrow({ where: { id } });
        // Every still-valid credential ends at min(its own end, now + grace): the grace lets a
        // fleet roll the new token out, and a rotation with grace 0 (a leaked token) also cuts
        // off the tokens still in an earlier rotation's grace period. An earlier end is kept.
        const end = new Date(Date.now() + graceSeconds * 1000);
        await tx.deviceCredential.updateMany({
          where: { deviceId: id, OR: [{ revokedAt: null }, { revokedAt: { gt: end } }] },
          data: { revokedAt: end },
        });
        await tx.deviceCredential.create({ data: { deviceId: id, tokenHash } });
        return toDevice(device);
      });
    },

    async findIdentityByTokenHash(tokenHash) {
      const credential = await prisma.deviceCredential.findFirst({
        where: { tokenHash, OR: [{ revokedAt: null }, { revokedAt: { gt: new Date() } }] },
        select: { device: { select: { id: true, organizationId: true, status: true } } },
      });
      if (!credential) return null;
      const { id, organizationId, status } = credential.device;
      return { deviceId: id, organizationId, status };
    },

    async recordLastSeen(lastSeen) {
      const ids: string[] = [];
      const times: string[] = [];
      for (const [id, ms] of lastSeen) {
        if (!isUuid(id) || !Number.isFinite(ms)) continue;
        ids.push(id);
        times.push(new Date(ms).toISOString());
      }
      if (ids.length === 0) return;
      // One statement for the whole batch; the comparison keeps lastSeenAt moving forward only,
      // whatever order concurrent pipeline workers flush in.
      await prisma.$executeRaw`
        UPDATE devices AS d SET last_seen_at = v.seen
        FROM unnest(${ids}::uuid[], ${times}::timestamptz[]) AS v(id, seen)
        WHERE d.id = v.id AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen)`;
    },
  };
}

/**
 * Prisma's driver adapters (pg and PGlite alike) read timestamptz text with its offset replaced
 * by +00:00; reading the JSON page the same way keeps listDevices in agreement with every
 * Prisma-model read (findDevices, updateDevice) whatever the session's TimeZone.
 */
function readTimestampsLikePrisma(row: DeviceRow): DeviceRow {
  const utc = (text: unknown) => String(text).replace(/[+-]\d{2}(:\d{2})?$/, '+00:00');
  return {
    ...row,
    lastSeenAt: row.lastSeenAt === null ? null : new Date(utc(row.lastSeenAt)),
    createdAt: new Date(utc(row.createdAt)),
    updatedAt: new Date(utc(row.updatedAt)),
  };
}

function isPrismaError(
  error: unknown,
  code: string,
): error is Prisma.PrismaClientKnownRequestError {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;
}

/** The columns (or index) of a unique violation, as driver adapters report it in meta. */
function violatedFields(error: Prisma.PrismaClientKnownRequestError): string[] {
  const meta = error.meta as
    | { driverAdapterError?: { cause?: { constraint?: { fields?: unknown; index?: unknown } } } }
    | undefined;
  const constraint = meta?.driverAdapterError?.cause?.constraint;
  if (Array.isArray(constraint?.fields)) return constraint.fields.map(String);
  return typeof constraint?.index === 'string' ? [constraint.index] : [];
}
