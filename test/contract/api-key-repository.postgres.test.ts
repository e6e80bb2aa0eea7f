import { createPostgresDatabase } from '../../src/adapters/prisma/postgres.js';
import { describeApiKeyRepositoryContract } from './api-key-repository.contract.js';
import { describeOnMigratedPostgres } from './postgres-test-database.js';

await describeOnMigratedPostgres('PostgreSQL API key repository', (url) =>
  describeApiKeyRepositoryContract('PostgreSQL (adapter-pg)', () =>
    createPostgresDatabase({ url: url() }),
  ),
);
