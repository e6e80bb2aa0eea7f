/**
 * `npm run db:migrate`: applies pending prisma/migrations to the device database the config
 * names (MODE=production → DATABASE_URL; otherwise the embedded PGlite under DATA_DIR) and prints
 * what it applied. Production runs this before a release; embedded mode also migrates at start-up.
 */
import { applyMigrations } from '../src/adapters/device-repository/migrations.js';
import { openPglite, pgliteMigrationConnection } from '../src/adapters/device-repository/pglite.js';
import { migratePostgres } from '../src/adapters/device-repository/postgres.js';
import { loadConfig } from '../src/config.js';

async function migrate(): Promise<{ target: string; applied: string[] }> {
  const config = loadConfig();
  if (config.mode === 'production') {
    if (!config.postgres) throw new Error('DATABASE_URL is not configured');
    const url = new URL(config.postgres.url);
    url.password = url.password ? '***' : '';
    return { target: url.toString(), applied: await migratePostgres(config.postgres.url) };
  }
  const db = await openPglite({ dataDir: config.dataDir });
  try {
    return {
      target: `PGlite in ${config.dataDir}/pglite`,
      applied: await applyMigrations(pgliteMigrationConnection(db)),
    };
  } finally {
    await db.close();
  }
}

try {
  const { target, applied } = await migrate();
  if (applied.length === 0) console.log(`${target}: up to date, nothing applied`);
  else
    console.log(`${target}: applied ${applied.length}\n${applied.map((n) => `  ${n}`).join('\n')}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
