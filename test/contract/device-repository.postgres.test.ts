import { afterAll, beforeAll, describe } from 'vitest';
import {
  createPostgresDeviceRepository,
  migratePostgres,
} from '../../src/adapters/device-repository/postgres.js';
import { findService } from '../support/services.js';
import { describeDeviceRepositoryContract } from './device-repository.contract.js';
import { createTestDatabase, type TestDatabase } from './postgres-test-database.js';

const serviceUrl = await findService('postgres');

describe.skipIf(!serviceUrl)('PostgreSQL device repository', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    // A server whose default TimeZone is not UTC must not shift any timestamp.
    database = await createTestDatabase(serviceUrl!, { timeZone: 'Asia/Kolkata' });
    await migratePostgres(database.url);
  });
  afterAll(async () => {
    await database?.drop();
  });

  describeDeviceRepositoryContract('PostgreSQL (adapter-pg)', () =>
    createPostgresDeviceRepository({ url: database.url }),
  );
});
