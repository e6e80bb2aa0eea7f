import { createPostgresDatabase } from '../../src/adapters/prisma/postgres.js';
import { describeAlertRepositoryContract } from './alert-repository.contract.js';
import { describeOnMigratedPostgres } from './postgres-test-database.js';

await describeOnMigratedPostgres('PostgreSQL alert repository', (url) =>
  describeAlertRepositoryContract('PostgreSQL (adapter-pg)', () =>
    createPostgresDatabase({ url: url() }),
  ),
);
