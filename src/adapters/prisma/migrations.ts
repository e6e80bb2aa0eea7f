/**
 * Applies prisma/migrations/<name>/migration.sql in name order and records each in Prisma's own
 * `_prisma_migrations` table, so `prisma migrate deploy/status` (wherever its schema engine
 * exists) sees the same history. Written by hand because that engine cannot be downloaded on
 * these machines and the app must migrate PGlite at start-up without it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One connection (PGlite instance or pg.Client): BEGIN/COMMIT and the session lock are per connection. */
export interface MigrationConnection {
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
}

export interface MigrationFile {
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export class MigrationChecksumError extends Error {
  constructor(readonly file: string) {
    super(
      `applied migration ${file} has been modified since it was applied (checksum differs); ` +
        'restore the file, and put schema changes in a new migration',
    );
    this.name = 'MigrationChecksumError';
  }
}

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(
  new URL('../../../prisma/migrations/', import.meta.url),
);

// The key Prisma's schema engine locks on Postgres, so this runner and `prisma migrate deploy`
// also exclude each other.
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

// Prisma's DDL for its history table (schema engine, postgres flavour).
const CREATE_HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

/** Prisma's checksum: sha256 (hex) of the file's bytes. */
export function migrationChecksum(contents: Buffer | string): string {
  return createHash('sha256').update(contents).digest('hex');
}

export async function readMigrations(dir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, 'migration.sql');
      const bytes = await readFile(file);
      return { name, file, sql: bytes.toString('utf8'), checksum: migrationChecksum(bytes) };
    }),
  );
}

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies every pending migration, each in its own transaction together with its history row,
 * under Prisma's advisory lock so concurrent starts apply each migration once. Returns the names
 * applied. Refuses to run when an applied file was modified or an earlier migration failed.
 */
export async function applyMigrations(
  connection: MigrationConnection,
  options: { dir?: string } = {},
): Promise<string[]> {
  const migrations = await readMigrations(options.dir);
  await connection.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
  try {
    await connection.exec(CREATE_HISTORY_TABLE);
    const history = await connection.query<HistoryRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations',
    );
    const applied = new Set<string>();
    for (const row of history) {
      if (row.rolled_back_at !== null) continue;
      const local = migrations.find((migration) => migration.name === row.migration_name);
      if (row.finished_at === null) {
        throw new Error(
          `migration ${local?.file ?? row.migration_name} failed earlier and is not resolved; ` +
            'see `prisma migrate resolve`',
        );
      }
      if (local && local.checksum !== row.checksum) throw new MigrationChecksumError(local.file);
      applied.add(row.migration_name);
    }

    const done: string[] = [];
    for (const migration of migrations.filter(({ name }) => !applied.has(name))) {
      await applyOne(connection, migration);
      done.push(migration.name);
    }
    return done;
  } finally {
    await connection.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
  }
}

async function applyOne(connection: MigrationConnection, migration: MigrationFile) {
  const startedAt = new Date();
  await connection.exec('BEGIN');
  try {
    await connection.exec(migration.sql);
    await connection.query(
      `INSERT INTO _prisma_migrations
         (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
      [randomUUID(), migration.checksum, migration.name, startedAt],
    );
    await connection.exec('COMMIT');
  } catch (error) {
    await connection.exec('ROLLBACK');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${migration.file} failed: ${reason}`, { cause: error });
  }
}
