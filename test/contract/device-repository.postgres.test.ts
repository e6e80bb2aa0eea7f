import { createPostgresDatabase } from '../../src/adapters/prisma/postgres.js';
import { describeDeviceConnectivityContract } from './device-connectivity.contract.js';
import { describeDeviceRepositoryContract } from './device-repository.contract.js';
import { describeOnMigratedPostgres } from './postgres-test-database.js';

await describeOnMigratedPostgres(
  'PostgreSQL device repository',
  (url) => {
    describeDeviceRepositoryContract('PostgreSQL (adapter-pg)', () =>
      createPostgresDatabase({ url: url() }),
    );
    describeDeviceConnectivityContract('PostgreSQL (adapter-pg)', (settings) =>
      createPostgresDatabase({ url: url(), ...settings }),
    );
  },
  // A server whose default TimeZone is not UTC must not shift any timestamp.
  { timeZone: 'Asia/Kolkata' },
);
