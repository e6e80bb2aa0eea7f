import { createPostgresRepositories } from '../../src/adapters/device-repository/postgres.js';
import { describeAlertRepositoryContract } from './alert-repository.contract.js';
import { describeOnMigratedPostgres } from './postgres-test-database.js';

await describeOnMigratedPostgres('PostgreSQL alert repository', (url) =>
  describeAlertRepositoryContract('PostgreSQL (adapter-pg)', () =>
    createPostgresRepositories({ url: url() }),
  ),
);
