import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { describeAlertRepositoryContract } from './alert-repository.contract.js';

describeAlertRepositoryContract('PGlite (in memory)', () => createPgliteDatabase());
