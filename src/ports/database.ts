import type { AlertRepository } from './alert-repository.js';
import type { ApiKeyRepository } from './api-key-repository.js';
import type { DeviceRepository } from './device-repository.js';
import type { NotificationRepository } from './notification-repository.js';

/**
 * The metadata database: devices, API keys, alerts and notifications on one connection (a PGlite instance
 * embedded, a pg pool in production), opened together and closed once, by whoever opened it.
 */
export interface MetadataDatabase {
  devices: DeviceRepository;
  apiKeys: ApiKeyRepository;
  alerts: AlertRepository;
  notifications: NotificationRepository;
  /** Resolves once the database answers a query; readiness checks call it. */
  ping(): Promise<void>;
  /** Disconnects the client, then releases what it runs on. */
  close(): Promise<void>;
}
