import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { describeApiKeyRepositoryContract } from './api-key-repository.contract.js';

describeApiKeyRepositoryContract('PGlite (in memory)', () => createPgliteDatabase());
