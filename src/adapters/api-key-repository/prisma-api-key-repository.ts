/**
 * ApiKeyRepository over the Prisma client of the metadata database (src/adapters/prisma/; one PGlite instance or
 * one pg pool per process): whoever opened the client closes it, so this repository has no close.
 */
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { ApiKey, ApiKeyRepository } from '../../ports/api-key-repository.js';
import { isUuid } from '../prisma/columns.js';

// Every column but key_hash: the hash never leaves the repository.
const PUBLIC_COLUMNS = {
  id: true,
  organizationId: true,
  name: true,
  prefix: true,
  scopes: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

export function createPrismaApiKeyRepository(options: { prisma: PrismaClient }): ApiKeyRepository {
  const { prisma } = options;

  const findInOrganization = (organizationId: string, id: string): Promise<ApiKey | null> =>
    prisma.apiKey.findFirst({ where: { id, organizationId }, select: PUBLIC_COLUMNS });

  return {
    async createApiKey(key) {
      return prisma.apiKey.create({
        data: {
          name: key.name,
          scopes: [...new Set(key.scopes)],
          expiresAt: key.expiresAt ?? null,
          keyHash: key.keyHash,
          prefix: key.prefix,
          // Organizations come from the identity provider's token claims, so an admin's first key
          // may be the first row the organization has here.
          organization: {
            connectOrCreate: {
              where: { id: key.organizationId },
              create: { id: key.organizationId, name: key.organizationId },
            },
          },
        },
        select: PUBLIC_COLUMNS,
      });
    },

    async listApiKeys(organizationId) {
      // uuid v7 ids are time-ordered: id order is creation order.
      return prisma.apiKey.findMany({
        where: { organizationId },
        orderBy: { id: 'desc' },
        select: PUBLIC_COLUMNS,
      });
    },

    async revokeApiKey(organizationId, id) {
      if (!isUuid(id)) return null;
      // Only a live key gets a revocation time, so revoking twice keeps the first one.
      await prisma.apiKey.updateMany({
        where: { id, organizationId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      return findInOrganization(organizationId, id);
    },

    async findApiKeyByHash(keyHash) {
      return prisma.apiKey.findUnique({ where: { keyHash }, select: PUBLIC_COLUMNS });
    },

    async recordLastUsed(lastUsed) {
      const ids: string[] = [];
      const times: string[] = [];
      for (const [id, ms] of lastUsed) {
        if (!isUuid(id) || !Number.isFinite(ms)) continue;
        ids.push(id);
        times.push(new Date(ms).toISOString());
      }
      if (ids.length === 0) return;
      // One statement per batch; the comparison keeps lastUsedAt moving forward only, whatever
      // order API replicas flush in.
      await prisma.$executeRaw`
        UPDATE api_keys AS k SET last_used_at = v.used
        FROM unnest(${ids}::uuid[], ${times}::timestamptz[]) AS v(id, used)
        WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.used)`;
    },
  };
}
