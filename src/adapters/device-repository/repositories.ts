import type { PrismaClient } from '../../generated/prisma/client.js';
import type { AlertRepository } from '../../ports/alert-repository.js';
import type { ApiKeyRepository } from '../../ports/api-key-repository.js';
import type { DeviceRepository } from '../../ports/device-repository.js';
import { createPrismaAlertRepository } from '../alert-repository/prisma-alert-repository.js';
import { createPrismaApiKeyRepository } from '../api-key-repository/prisma-api-key-repository.js';
import { refusingBadInput } from './input-refused.js';
import { createPrismaDeviceRepository } from './prisma-device-repository.js';

/** Every Prisma-backed repository of one database; `devices.close()` closes the shared client. */
export interface Repositories {
  devices: DeviceRepository;
  apiKeys: ApiKeyRepository;
  alerts: AlertRepository;
}

/**
 * The repositories on one Prisma client, whichever driver adapter it has (PGlite, pg);
 * `onClose` releases what the client runs on once `devices.close()` has disconnected it.
 */
export function createPrismaRepositories(
  prisma: PrismaClient,
  onClose: () => Promise<void>,
): Repositories {
  // One bad value must fail as bad input, not as an outage (src/ports/input-refused.ts).
  return {
    devices: refusingBadInput(createPrismaDeviceRepository({ prisma, onClose })),
    apiKeys: refusingBadInput(createPrismaApiKeyRepository({ prisma })),
    alerts: refusingBadInput(createPrismaAlertRepository({ prisma })),
  };
}
