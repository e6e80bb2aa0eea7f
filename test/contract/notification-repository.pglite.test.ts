import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { describeNotificationRepositoryContract } from './notification-repository.contract.js';

describeNotificationRepositoryContract('PGlite (in memory)', () => createPgliteDatabase());
