import { createPgliteRepositories } from '../../src/adapters/device-repository/pglite.js';
import { describeAlertRepositoryContract } from './alert-repository.contract.js';

describeAlertRepositoryContract('PGlite (in memory)', () => createPgliteRepositories());
