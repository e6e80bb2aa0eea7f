/**
 * The embedded metadata database: Prisma over PGlite (in-process Postgres), files under
 * `${dataDir}/pglite`, migrations applied at open.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../../generated/prisma/client.js';
import type { MetadataDatabase } from '../../ports/database.js';
import { applyMigrations, type MigrationConnection } from './migrations.js';
import { createPrismaDatabase, type MetadataSettings } from './database.js';

export interface PgliteDatabaseOptions extends MetadataSettings {
  /** Data lives in `${dataDir}/pglite`; omit for an in-memory database (tests). */
  dataDir?: string;
}

export async function openPglite(options: PgliteDatabaseOptions): Promise<PGlite> {
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

/** The database on one PGlite instance (a data dir can be opened by one instance only). */
export async function createPgliteDatabase(
  options: PgliteDatabaseOptions = {},
): Promise<MetadataDatabase> {
  const db = await openPglite(options);
  try {
    await applyMigrations(pgliteMigrationConnection(db));
  } catch (error) {
    await db.close();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return createPrismaDatabase(prisma, () => db.close(), options);
}
