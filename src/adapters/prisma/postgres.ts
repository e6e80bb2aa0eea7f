/**
 * The production metadata database: Prisma over PostgreSQL through @prisma/adapter-pg. It does not
 * migrate: `npm run db:migrate` (or `prisma migrate deploy`) runs before a release, so N replicas
 * starting together never race on DDL.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import type { MetadataDatabase } from '../../ports/database.js';
import { describePostgresError, postgresClientConfig } from '../connections/postgres.js';
import { applyMigrations, type MigrationConnection } from './migrations.js';
import { createPrismaDatabase, type MetadataSettings } from './database.js';

export interface PostgresDatabaseOptions extends MetadataSettings {
  /**
   * postgresql://…, TLS by its sslmode and sslrootcert as libpq reads them
   * (src/adapters/connections/postgres-url.ts).
   */
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
    ...postgresClientConfig(options.url),
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
  const database = createPrismaDatabase(prisma, () => pool.end(), options);
  return {
    ...database,
    async ping() {
      try {
        await database.ping();
      } catch (error) {
        // Prisma's error keeps only a summary of a refused connection (a TLS failure's code is
        // gone): a connection of the pool's own says why, "postgres: authentication failed (…)".
        const client = await pool.connect().catch((cause: unknown) => {
          throw describePostgresError(cause);
        });
        client.release();
        throw describePostgresError(error);
      }
    },
  };
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
  const client = new pg.Client(postgresClientConfig(url));
  await client.connect().catch((error: unknown) => {
    throw describePostgresError(error);
  });
  try {
    return await applyMigrations(postgresMigrationConnection(client), options);
  } finally {
    await client.end();
  }
}
