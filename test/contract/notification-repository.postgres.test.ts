import { createPostgresDatabase } from '../../src/adapters/prisma/postgres.js';
import { describeNotificationRepositoryContract } from './notification-repository.contract.js';
import { describeOnMigratedPostgres } from './postgres-test-database.js';

await describeOnMigratedPostgres('PostgreSQL notification repository', (url) =>
  describeNotificationRepositoryContract('PostgreSQL (adapter-pg)', () =>
    createPostgresDatabase({ url: url() }),
  ),
);
