/** A fresh PostgreSQL database per test file, created from the `postgres` database and dropped after. */
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { migratePostgres } from '../../src/adapters/prisma/postgres.js';
import { findService, uniqueSuffix } from '../support/services.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * `timeZone` sets the database's default session time zone, to prove the adapters do not depend
 * on the server running in UTC.
 */
export async function createTestDatabase(
  serviceUrl: string,
  options: { timeZone?: string } = {},
): Promise<TestDatabase> {
  const name = `iot_test_${uniqueSuffix()}`;
  const admin = new URL(serviceUrl);
  admin.pathname = '/postgres';
  const target = new URL(serviceUrl);
  target.pathname = `/${name}`;

  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  // The name is ours (letters, digits, underscore), so quoting it is all the escaping needed.
  await run(`CREATE DATABASE "${name}"`);
  if (options.timeZone) {
    await run(`ALTER DATABASE "${name}" SET timezone TO '${options.timeZone.replace(/'/g, '')}'`);
  }
  return {
    url: target.toString(),
    drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/**
 * Declares `suites` inside a describe block owning a fresh, migrated database, dropped after;
 * skipped when no PostgreSQL answers (findService). `url()` is the database's address, known
 * from the block's beforeAll on (in hooks and tests, not while declaring).
 */
export async function describeOnMigratedPostgres(
  name: string,
  suites: (url: () => string) => void,
  options: { timeZone?: string } = {},
) {
  const serviceUrl = await findService('postgres');
  describe.skipIf(!serviceUrl)(name, () => {
    let database: TestDatabase | undefined;
    beforeAll(async () => {
      database = await createTestDatabase(serviceUrl!, options);
      await migratePostgres(database.url);
    });
    afterAll(async () => {
      await database?.drop();
    });
    suites(() => database!.url);
  });
}
