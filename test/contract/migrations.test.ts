/**
 * The offline migration runner against PGlite and real PostgreSQL: Prisma's history table, its
 * checksums, idempotence, refusal of edited files, rollback of a failed file, and (PostgreSQL)
 * concurrent runners applying each migration once.
 */
import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  MigrationChecksumError,
  readMigrations,
  type MigrationConnection,
} from '../../src/adapters/prisma/migrations.js';
import { pgliteMigrationConnection } from '../../src/adapters/prisma/pglite.js';
import {
  migratePostgres,
  postgresMigrationConnection,
} from '../../src/adapters/prisma/postgres.js';
import { findService } from '../support/services.js';
import { createTestDatabase, type TestDatabase } from './postgres-test-database.js';

interface EmptyDatabase {
  connection: MigrationConnection;
  close(): Promise<void>;
}

const postgresUrl = await findService('postgres');
const databases: TestDatabase[] = [];
const tmpDirs: string[] = [];

afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
  await Promise.all(tmpDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function postgresDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase(postgresUrl!);
  databases.push(database);
  return database;
}

const targets: { name: string; skip: boolean; open: () => Promise<EmptyDatabase> }[] = [
  {
    name: 'PGlite',
    skip: false,
    async open() {
      const db = new PGlite();
      await db.waitReady;
      return { connection: pgliteMigrationConnection(db), close: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !postgresUrl,
    async open() {
      const client = new pg.Client({ connectionString: (await postgresDatabase()).url });
      await client.connect();
      return { connection: postgresMigrationConnection(client), close: () => client.end() };
    },
  },
];

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iot-migrations-'));
  tmpDirs.push(dir);
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}
const history = (connection: MigrationConnection) =>
  connection.query<HistoryRow>(
    'SELECT * FROM _prisma_migrations ORDER BY migration_name, started_at',
  );

async function withDatabase(
  open: () => Promise<EmptyDatabase>,
  use: (connection: MigrationConnection) => Promise<void>,
) {
  const database = await open();
  try {
    await use(database.connection);
  } finally {
    await database.close();
  }
}

for (const target of targets) {
  describe.skipIf(target.skip)(`migration runner on ${target.name}`, () => {
    it("applies every file and records it in Prisma's history with the file's sha256", () =>
      withDatabase(target.open, async (connection) => {
        const files = await readMigrations();
        expect(files.length).toBeGreaterThan(0);
        const applied = await applyMigrations(connection);
        expect(applied).toEqual(files.map((file) => file.name));

        const rows = await history(connection);
        const expected = await Promise.all(
          files.map(async (file) => ({
            migration_name: file.name,
            checksum: createHash('sha256')
              .update(await readFile(file.file))
              .digest('hex'),
            rolled_back_at: null,
            logs: null,
            applied_steps_count: 1,
          })),
        );
        expect(rows).toMatchObject(expected);
        for (const row of rows) expect(row.finished_at).toBeInstanceOf(Date);
        const tables = await connection.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables
           WHERE table_schema = 'public' ORDER BY table_name`,
        );
        expect(tables.map((table) => table.table_name)).toEqual([
          '_prisma_migrations',
          'alert_episodes',
          'alert_rule_channels',
          'alert_rules',
          'alert_states',
          'api_keys',
          'device_credentials',
          'device_types',
          'devices',
          'notification_attempts',
          'notification_channels',
          'notification_deliveries',
          'organizations',
        ]);
      }));

    it('does nothing the second time', () =>
      withDatabase(target.open, async (connection) => {
        await applyMigrations(connection);
        const before = await history(connection);
        expect(await applyMigrations(connection)).toEqual([]);
        expect(await history(connection)).toEqual(before);
      }));

    it('refuses to run when an applied file was modified, naming the file', () =>
      withDatabase(target.open, async (connection) => {
        const dir = await copyOfMigrations();
        await applyMigrations(connection, { dir });
        const [first] = await readMigrations(dir);
        await appendFile(first!.file, '\n-- edited after it was applied\n');
        const attempt = applyMigrations(connection, { dir });
        await expect(attempt).rejects.toBeInstanceOf(MigrationChecksumError);
        await expect(applyMigrations(connection, { dir })).rejects.toThrow(first!.file);
      }));

    it('rolls back a failing file entirely and records nothing for it', () =>
      withDatabase(target.open, async (connection) => {
        const dir = await copyOfMigrations();
        const broken = path.join(dir, '29991231235959_broken', 'migration.sql');
        await mkdir(path.dirname(broken));
        await writeFile(broken, 'CREATE TABLE "half_done" ("id" TEXT);\nSELECT no_such_column;\n');

        await expect(applyMigrations(connection, { dir })).rejects.toThrow(broken);
        const rows = await history(connection);
        expect(rows.map((row) => row.migration_name)).not.toContain('29991231235959_broken');
        expect(rows.length).toBe((await readMigrations(dir)).length - 1);
        const halfDone = await connection.query(
          `SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`,
        );
        expect(halfDone).toEqual([]);
      }));
  });
}

describe.skipIf(!postgresUrl)('migration runner, concurrent starts on PostgreSQL', () => {
  it('applies each migration exactly once', async () => {
    const database = await postgresDatabase();
    const runs = await Promise.all([
      migratePostgres(database.url),
      migratePostgres(database.url),
      migratePostgres(database.url),
    ]);
    const names = (await readMigrations()).map((file) => file.name);
    expect(runs.flat().sort()).toEqual(names);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const rows = await history(postgresMigrationConnection(client));
      expect(rows.map((row) => row.migration_name)).toEqual(names);
    } finally {
      await client.end();
    }
  });
});
