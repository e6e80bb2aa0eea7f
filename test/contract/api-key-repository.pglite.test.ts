import { createPgliteRepositories } from '../../src/adapters/device-repository/pglite.js';
import { describeApiKeyRepositoryContract } from './api-key-repository.contract.js';

describeApiKeyRepositoryContract('PGlite (in memory)', () => createPgliteRepositories());
