import { afterAll, beforeAll, describe } from 'vitest';
import {
  createPostgresRepositories,
  migratePostgres,
} from '../../src/adapters/device-repository/postgres.js';
import { findService } from '../support/services.js';
import { describeApiKeyRepositoryContract } from './api-key-repository.contract.js';
import { createTestDatabase, type TestDatabase } from './postgres-test-database.js';

const serviceUrl = await findService('postgres');

describe.skipIf(!serviceUrl)('PostgreSQL API key repository', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(serviceUrl!);
    await migratePostgres(database.url);
  });
  afterAll(async () => {
    await database?.drop();
  });

  describeApiKeyRepositoryContract('PostgreSQL (adapter-pg)', async () => {
    const { devices, apiKeys } = await createPostgresRepositories({ url: database.url });
    return { repository: apiKeys, close: () => devices.close() };
  });
});
