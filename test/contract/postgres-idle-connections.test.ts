/**
 * PostgreSQL closing the pool's idle connections (a restart, a failover, an administrator) must
 * not take the process down: the pool is told, drops them, and the next query opens another.
 * Without a listener, pg-pool's 'error' event would be an uncaught exception (vitest fails the
 * run on it).
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { createPostgresDatabase } from '../../src/adapters/prisma/postgres.js';
import { describeOnMigratedPostgres } from './postgres-test-database.js';

await describeOnMigratedPostgres('PostgreSQL idle connections', (url) => {
  it('survives the server terminating its idle connections, and serves the next query', async () => {
    const errors: Error[] = [];
    const database = await createPostgresDatabase({
      url: url(),
      heartbeatTimeoutSeconds: 60,
      onIdleConnectionError: (error) => errors.push(error),
    });
    try {
      await database.devices.ensureOrganization('org-idle', 'Idle');
      const name = new URL(url()).pathname.slice(1);
      const admin = new pg.Client({ connectionString: url() });
      await admin.connect();
      try {
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = $1 AND pid <> pg_backend_pid()`,
          [name],
        );
        expect(rowCount).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
      expect(String(errors[0])).toContain('terminating connection');
      // The pool opens a new connection for the next query.
      await database.devices.ensureOrganization('org-idle-2', 'Idle again');
      expect(await database.devices.countDevices('org-idle-2', {})).toBe(0);
    } finally {
      await database.close();
    }
  });
});
