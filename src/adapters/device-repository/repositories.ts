import type { AlertRepository } from '../../ports/alert-repository.js';
import type { ApiKeyRepository } from '../../ports/api-key-repository.js';
import type { DeviceRepository } from '../../ports/device-repository.js';

/** Every Prisma-backed repository of one database; `devices.close()` closes the shared client. */
export interface Repositories {
  devices: DeviceRepository;
  apiKeys: ApiKeyRepository;
  alerts: AlertRepository;
}
