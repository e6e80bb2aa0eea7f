import { afterAll, beforeAll, describe } from 'vitest';
import {
  createPostgresRepositories,
  migratePostgres,
} from '../../src/adapters/device-repository/postgres.js';
import { findService } from '../support/services.js';
import { describeAlertRepositoryContract } from './alert-repository.contract.js';
import { createTestDatabase, type TestDatabase } from './postgres-test-database.js';

const serviceUrl = await findService('postgres');

describe.skipIf(!serviceUrl)('PostgreSQL alert repository', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(serviceUrl!);
    await migratePostgres(database.url);
  });
  afterAll(async () => {
    await database?.drop();
  });

  describeAlertRepositoryContract('PostgreSQL (adapter-pg)', async () => {
    const { devices, alerts } = await createPostgresRepositories({ url: database.url });
    return { repository: alerts, devices, close: () => devices.close() };
  });
});
