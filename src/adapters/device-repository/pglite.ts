/**
 * The embedded DeviceRepository: Prisma over PGlite (in-process Postgres), files under
 * `${dataDir}/pglite`, migrations applied at open.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../../generated/prisma/client.js';
import type { DeviceRepository } from '../../ports/device-repository.js';
import { applyMigrations, type MigrationConnection } from './migrations.js';
import { createPrismaRepositories, type Repositories } from './repositories.js';

export interface PgliteDeviceRepositoryOptions {
  /** Data lives in `${dataDir}/pglite`; omit for an in-memory database (tests). */
  dataDir?: string;
}

export async function openPglite(options: PgliteDeviceRepositoryOptions): Promise<PGlite> {
  if (options.dataDir === undefined) {
    const memory = new PGlite();
    await memory.waitReady;
    return memory;
  }
  const dir = path.join(options.dataDir, 'pglite');
  // PGlite creates only the last path segment.
  await mkdir(dir, { recursive: true });
  const db = new PGlite(dir);
  await db.waitReady;
  return db;
}

export function pgliteMigrationConnection(db: PGlite): MigrationConnection {
  return {
    async query<Row>(sql: string, params?: unknown[]) {
      return (await db.query<Row>(sql, params)).rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
  };
}

export async function createPgliteDeviceRepository(
  options: PgliteDeviceRepositoryOptions = {},
): Promise<DeviceRepository> {
  return (await createPgliteRepositories(options)).devices;
}

/**
 * Every Prisma-backed repository on one PGlite instance (a data dir can be opened only once).
 * `devices.close()` closes the shared instance.
 */
export async function createPgliteRepositories(
  options: PgliteDeviceRepositoryOptions = {},
): Promise<Repositories> {
  const db = await openPglite(options);
  try {
    await applyMigrations(pgliteMigrationConnection(db));
  } catch (error) {
    await db.close();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return createPrismaRepositories(prisma, () => db.close());
}
