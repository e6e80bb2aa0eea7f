import type { Server as HttpServer } from 'node:http';
import type { RetentionPeriod } from '../../domain/retention.js';
import type { FailedAuthLimits } from '../../auth/failed-auth-guard.js';
import type { MqttSettings } from '../../config/mqtt.js';
import type { RateLimitPolicy } from '../../http/rate-limit-policy.js';
import type { Logger } from '../../logger.js';
import type { DeviceRepository } from '../../ports/device-repository.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { IngestLimits } from '../accept-points.js';
import { createMqttDeviceGateway } from './device-gateway.js';
import { createMqttListeners } from './mqtt-listeners.js';

/** A PUBLISH's topic and properties, on top of the body it carries. */
const PACKET_OVERHEAD_BYTES = 4_096;

/** MQTT ingest as a process runs it: the device gateway behind the listeners. */
export function createMqttIngest(options: {
  settings: MqttSettings;
  host: string;
  devices: Pick<DeviceRepository, 'findIdentitiesByTokenHashes'>;
  bus: Pick<EventBus, 'publish'>;
  limits: IngestLimits;
  rawRetention?: RetentionPeriod;
  rateLimiter?: Pick<RateLimitPolicy, 'device'> & Partial<FailedAuthLimits>;
  httpServer: HttpServer;
  logger: Logger;
}) {
  const logger = options.logger.child({ component: 'mqtt' });
  return createMqttListeners({
    settings: options.settings,
    host: options.host,
    gateway: createMqttDeviceGateway({ ...options, logger }),
    devices: options.devices,
    maxPacketBytes: options.limits.maxBodyBytes + PACKET_OVERHEAD_BYTES,
    httpServer: options.httpServer,
    logger,
  });
}
