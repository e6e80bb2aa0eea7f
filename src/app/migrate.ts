import { applyMigrations } from '../adapters/prisma/migrations.js';
import { openPglite, pgliteMigrationConnection } from '../adapters/prisma/pglite.js';
import { migratePostgres } from '../adapters/prisma/postgres.js';
import type { EmbeddedConfig, ProductionConfig } from '../config/index.js';
import { lockDataDir } from './data-dir-lock.js';

/**
 * Applies pending prisma/migrations to the device database the config names (production:
 * DATABASE_URL; embedded: PGlite under DATA_DIR). Production runs this before a release
 * (`npm run db:migrate`, or the image's `migrate` command); embedded mode also migrates at start.
 * Embedded, it refuses a DATA_DIR a running server holds (DataDirInUseError): PGlite's files
 * must never be open in two processes.
 */
export async function migrateDeviceDatabase(
  config: EmbeddedConfig | ProductionConfig<'migrate'>,
): Promise<{ target: string; applied: string[] }> {
  if (config.mode === 'production') {
    const shown = new URL(config.postgres.url);
    if (shown.password) shown.password = '***';
    return { target: shown.toString(), applied: await migratePostgres(config.postgres.url) };
  }
  const lock = await lockDataDir(config.dataDir);
  try {
    const db = await openPglite({ dataDir: config.dataDir });
    try {
      return {
        target: `PGlite in ${config.dataDir}/pglite`,
        applied: await applyMigrations(pgliteMigrationConnection(db)),
      };
    } finally {
      await db.close();
    }
  } finally {
    await lock.release();
  }
}
