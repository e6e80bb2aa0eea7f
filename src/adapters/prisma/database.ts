/**
 * The metadata database on one Prisma client, whichever driver adapter it has (PGlite, pg): the
 * repositories share the client, and the database, not any repository, closes it.
 */
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { MetadataDatabase } from '../../ports/database.js';
import { ephemeralSecretSealer, type SecretSealer } from '../../auth/sealed-secrets.js';
import { createPrismaAlertRepository } from '../alert-repository/prisma-alert-repository.js';
import { createPrismaApiKeyRepository } from '../api-key-repository/prisma-api-key-repository.js';
import { createPrismaDeviceRepository } from '../device-repository/prisma-device-repository.js';
import { createPrismaNotificationRepository } from '../notification-repository/prisma-notification-repository.js';
import { refusingBadInput } from './input-refused.js';

/** Settings of the database's repositories. */
export interface MetadataSettings {
  /** The server's heartbeat timeout (HEARTBEAT_TIMEOUT_SECONDS); 300 s by default. */
  heartbeatTimeoutSeconds?: number;
  /**
   * Seals and opens notification channel secrets: the configured key's. By default a key of this
   * process alone (auth/sealed-secrets.ts ephemeralSecretSealer), for tests.
   */
  channelSecrets?: SecretSealer;
}

/** `release` frees what the client runs on (the PGlite instance, the pg pool) once it is disconnected. */
export function createPrismaDatabase(
  prisma: PrismaClient,
  release: () => Promise<void>,
  settings: MetadataSettings = {},
): MetadataDatabase {
  const { heartbeatTimeoutSeconds, channelSecrets = ephemeralSecretSealer() } = settings;
  // One bad value must fail as bad input, not as an outage (src/ports/input-refused.ts).
  return {
    devices: refusingBadInput(createPrismaDeviceRepository({ prisma, heartbeatTimeoutSeconds })),
    apiKeys: refusingBadInput(createPrismaApiKeyRepository({ prisma })),
    alerts: refusingBadInput(createPrismaAlertRepository({ prisma })),
    notifications: refusingBadInput(
      createPrismaNotificationRepository({ prisma, secrets: channelSecrets }),
    ),
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    async close() {
      await prisma.$disconnect();
      await release();
    },
  };
}
