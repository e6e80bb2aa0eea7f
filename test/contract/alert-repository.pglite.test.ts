import { createPgliteRepositories } from '../../src/adapters/device-repository/pglite.js';
import { describeAlertRepositoryContract } from './alert-repository.contract.js';

describeAlertRepositoryContract('PGlite (in memory)', async () => {
  const { devices, alerts } = await createPgliteRepositories();
  return { repository: alerts, devices, close: () => devices.close() };
});
