/**
 * DeviceRepository over a Prisma client; the driver adapter (PGlite or pg) is the caller's
 * choice, so embedded and production share every query.
 */
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import {
  CONNECTIVITY_STATES,
  DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
  type ConnectivityChange,
  type ConnectivityState,
} from '../../domain/connectivity.js';
import {
  DuplicateExternalIdError,
  type DevicePage,
  type DevicePageRequest,
  type DeviceFilter,
  type DeviceIdentity,
  type DevicePatch,
  type DeviceRepository,
} from '../../ports/device-repository.js';
import { isUuid, toLabels } from '../prisma/columns.js';
import { DEVICE_COLUMNS_SQL, toDevice, toLocationColumns, type DeviceRow } from './device-row.js';
import { organizationRetention, retentionOf } from './organization-retention.js';

export interface PrismaDeviceRepositoryOptions {
  /** Shared with the other repositories; the database (src/adapters/prisma/) closes it. */
  prisma: PrismaClient;
  /** The server's heartbeat timeout, for devices whose own and type's are not set. */
  heartbeatTimeoutSeconds?: number;
}

/** The most transitions one statement of a sweep claims; a sweep runs as many as it needs. */
const SWEEP_BATCH = 10_000;

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
  if (filter.connectivity !== undefined) {
    const states = filter.connectivity.filter((state) => CONNECTIVITY_STATES.includes(state));
    conditions.push(Prisma.sql`connectivity::text = ANY(${states}::text[])`);
  }
  return conditions;
}

export function createPrismaDeviceRepository(
  options: PrismaDeviceRepositoryOptions,
): DeviceRepository {
  const { prisma } = options;
  const serverTimeout = options.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS;
  /**
   * When device `d` turns OFFLINE if silent: its lastSeenAt plus its own timeout, else its
   * type's, else the server's.
   */
  const deadlineSql = (
    lastSeen: Prisma.Sql,
  ) => Prisma.sql`${lastSeen} + make_interval(secs => coalesce(
    d.heartbeat_timeout_seconds,
    (SELECT t.heartbeat_timeout_seconds FROM device_types AS t
      WHERE t.organization_id = d.organization_id AND t.type = d.type),
    ${serverTimeout}::int))`;

  /** Sets the deadline of the devices matching `where` (on `d`) from their lastSeenAt. */
  async function recomputeDeadlinesWhere(
    client: Pick<PrismaClient, '$executeRaw'>,
    where: Prisma.Sql,
  ) {
    const deadline = deadlineSql(Prisma.sql`d.last_seen_at`);
    await client.$executeRaw`
      UPDATE devices AS d SET offline_at = ${deadline}
      WHERE d.last_seen_at IS NOT NULL AND ${where}
        AND d.offline_at IS DISTINCT FROM ${deadline}`;
  }

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
        SELECT ${Prisma.raw(DEVICE_COLUMNS_SQL)}
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
      return await prisma.$transaction(async (tx) => {
        const row = await tx.device.update({
          where: { id, organizationId },
          data: {
            name: patch.name,
            type: patch.type,
            labels: patch.labels,
            status: patch.status,
            heartbeatTimeoutSeconds: patch.heartbeatTimeoutSeconds,
            ...(patch.location === undefined ? {} : toLocationColumns(patch.location)),
          },
        });
        // A new timeout or type moves the deadline; the sweep makes the state follow it.
        if (patch.heartbeatTimeoutSeconds !== undefined || patch.type !== undefined) {
          await recomputeDeadlinesWhere(tx, Prisma.sql`d.id = ${id}::uuid`);
        }
        return toDevice(row);
      });
    } catch (error) {
      if (isPrismaError(error, 'P2025')) return null;
      throw error;
    }
  }

  /** Claims at most SWEEP_BATCH due transitions (see DeviceRepository.sweepConnectivity). */
  async function sweepOnce(): Promise<ConnectivityChange[]> {
    // SKIP LOCKED: a device another sweep (or a lastSeenAt write) holds is left to it; a device
    // another sweep changed since this statement began is read anew by FOR UPDATE and, no longer
    // due, dropped. So each transition is claimed once, whatever the number of sweepers.
    const rows = await prisma.$queryRaw<
      {
        id: string;
        organizationId: string;
        previous: ConnectivityState;
        state: ConnectivityState;
        since: Date;
      }[]
    >`
      WITH due AS (
        SELECT id, connectivity AS previous,
          (CASE WHEN offline_at > now() THEN 'ONLINE' ELSE 'OFFLINE' END)::connectivity_state AS state
        FROM devices
        WHERE (connectivity = 'ONLINE' AND offline_at <= now())
           OR (connectivity = 'OFFLINE' AND offline_at > now())
           OR (connectivity = 'NEVER_SEEN' AND offline_at IS NOT NULL)
        LIMIT ${SWEEP_BATCH}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE devices AS d SET connectivity = due.state,
        connectivity_since = CASE WHEN due.state = 'OFFLINE' THEN d.offline_at
          ELSE least(d.last_seen_at, now()) END
      FROM due WHERE d.id = due.id
      RETURNING d.id::text AS id, d.organization_id AS "organizationId",
        due.previous::text AS previous, due.state::text AS state, d.connectivity_since AS since`;
    return rows.map((row) => ({
      organizationId: row.organizationId,
      deviceId: row.id.toLowerCase(),
      state: row.state,
      previous: row.previous,
      since: new Date(row.since).getTime(),
    }));
  }

  return {
    async countByConnectivity(organizationId, filter) {
      const rows = await prisma.$queryRaw<{ state: ConnectivityState; count: number }[]>`
        SELECT connectivity::text AS state, count(*)::int AS count FROM devices
        WHERE ${Prisma.join(filterConditions(organizationId, filter), ' AND ')}
        GROUP BY connectivity`;
      const counts = { NEVER_SEEN: 0, ONLINE: 0, OFFLINE: 0 };
      for (const row of rows) counts[row.state] = row.count;
      return counts;
    },

    async listDeviceTypes(organizationId) {
      return prisma.$queryRaw<{ type: string; heartbeatTimeoutSeconds: number | null }[]>`
        SELECT k.type, t.heartbeat_timeout_seconds AS "heartbeatTimeoutSeconds"
        FROM (
          SELECT DISTINCT type FROM devices WHERE organization_id = ${organizationId}
          UNION SELECT type FROM device_types WHERE organization_id = ${organizationId}
        ) AS k
        LEFT JOIN device_types AS t ON t.organization_id = ${organizationId} AND t.type = k.type
        ORDER BY k.type`;
    },

    async setDeviceType(organizationId, settings) {
      const { type, heartbeatTimeoutSeconds } = settings;
      await prisma.$transaction(async (tx) => {
        await tx.deviceType.upsert({
          where: { organizationId_type: { organizationId, type } },
          create: { organizationId, type, heartbeatTimeoutSeconds },
          update: { heartbeatTimeoutSeconds },
        });
        await recomputeDeadlinesWhere(
          tx,
          Prisma.sql`d.organization_id = ${organizationId} AND d.type = ${type}
            AND d.heartbeat_timeout_seconds IS NULL`,
        );
      });
      return { type, heartbeatTimeoutSeconds };
    },

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
            heartbeatTimeoutSeconds: device.heartbeatTimeoutSeconds ?? null,
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

    async findActivity(organizationId, ids) {
      const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
      if (wanted.length === 0) return new Map();
      const rows = await prisma.device.findMany({
        where: { organizationId, id: { in: wanted } },
        select: { id: true, lastSeenAt: true, connectivity: true, connectivitySince: true },
      });
      return new Map(
        rows.map((row) => [
          row.id.toLowerCase(),
          {
            lastSeenAt: row.lastSeenAt,
            connectivity: { state: row.connectivity, since: row.connectivitySince },
          },
        ]),
      );
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

    async findIdentitiesByTokenHashes(tokenHashes) {
      const identities = new Map<string, DeviceIdentity>();
      if (tokenHashes.length === 0) return identities;
      const credentials = await prisma.deviceCredential.findMany({
        where: {
          tokenHash: { in: [...new Set(tokenHashes)] },
          OR: [{ revokedAt: null }, { revokedAt: { gt: new Date() } }],
        },
        select: {
          tokenHash: true,
          device: {
            select: {
              id: true,
              organizationId: true,
              status: true,
              organization: { select: { rawRetentionHours: true, rollupRetentionHours: true } },
            },
          },
        },
      });
      for (const { tokenHash, device } of credentials) {
        const identity: DeviceIdentity = {
          deviceId: device.id,
          organizationId: device.organizationId,
          status: device.status,
        };
        const { raw } = retentionOf(device.organization);
        if (raw) identity.rawRetention = raw;
        identities.set(tokenHash, identity);
      }
      return identities;
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
        UPDATE devices AS d SET last_seen_at = v.seen, offline_at = ${deadlineSql(Prisma.sql`v.seen`)}
        FROM unnest(${ids}::uuid[], ${times}::timestamptz[]) AS v(id, seen)
        WHERE d.id = v.id AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen)`;
    },

    async sweepConnectivity() {
      const changes: ConnectivityChange[] = [];
      for (;;) {
        const batch = await sweepOnce();
        changes.push(...batch);
        if (batch.length < SWEEP_BATCH) return changes;
      }
    },

    async recomputeDeadlines() {
      await recomputeDeadlinesWhere(prisma, Prisma.sql`true`);
    },

    ...organizationRetention(prisma),
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
    connectivitySince: new Date(utc(row.connectivitySince)),
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
