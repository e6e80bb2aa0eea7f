/**
 * The production metadata database: Prisma over PostgreSQL through @prisma/adapter-pg. It does not
 * migrate: `npm run db:migrate` (or `prisma migrate deploy`) runs before a release, so N replicas
 * starting together never race on DDL.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import type { MetadataDatabase } from '../../ports/database.js';
import { applyMigrations, type MigrationConnection } from './migrations.js';
import { createPrismaDatabase, type MetadataSettings } from './database.js';

export interface PostgresDatabaseOptions extends MetadataSettings {
  url: string;
  /** Pool size per process. */
  maxConnections?: number;
  /** Told when the server closes an idle connection (a restart, a failover, an admin). */
  onIdleConnectionError?: (error: Error) => void;
}

/** The database on one pool, which `close()` ends. */
export async function createPostgresDatabase(
  options: PostgresDatabaseOptions,
): Promise<MetadataDatabase> {
  // Our pool rather than the adapter's, so close() provably ends every connection.
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    // Prisma's adapters and our raw queries read timestamps as UTC: pin the session to it, so a
    // server configured with another TimeZone cannot shift lastSeenAt and friends.
    options: '-c TimeZone=UTC',
  });
  // pg-pool re-emits an idle connection's error on the pool, and an 'error' event nobody listens
  // to takes the whole process down: a PostgreSQL restart would crash every replica. The pool
  // drops that connection and opens another for the next query.
  pool.on('error', (error) => options.onIdleConnectionError?.(error));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return createPrismaDatabase(prisma, () => pool.end(), options);
}

/** A migration connection on one pg.Client (the advisory lock and BEGIN/COMMIT are per session). */
export function postgresMigrationConnection(client: pg.Client): MigrationConnection {
  return {
    async query<Row>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as Row[];
    },
    async exec(sql: string) {
      // Without parameters pg uses the simple protocol, which runs a script of many statements.
      await client.query(sql);
    },
  };
}

/** Opens one connection, applies pending migrations, closes it; returns what it applied. */
export async function migratePostgres(
  url: string,
  options: { dir?: string } = {},
): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await applyMigrations(postgresMigrationConnection(client), options);
  } finally {
    await client.end();
  }
}
