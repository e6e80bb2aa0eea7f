/**
 * Many devices, each with its own token, for bench/mqtt-connections.ts, written straight into the
 * device database: registerDevice (GraphQL or the repository's createDevice) takes ~5 ms a
 * device on PGlite, four minutes for 50,000. Each row is what createDevice writes (a device with
 * its defaults and one credential holding the token's SHA-256), inserted 5,000 to a statement;
 * the server then authenticates and rate-limits each device as any other.
 */
import pg from 'pg';
import { applyMigrations } from '../../src/adapters/prisma/migrations.js';
import { openPglite, pgliteMigrationConnection } from '../../src/adapters/prisma/pglite.js';
import { generateDeviceToken, hashDeviceToken } from '../../src/auth/device-tokens.js';

const BATCH = 5_000;

type Query = (sql: string, params: unknown[]) => Promise<unknown>;

async function insertDevices(query: Query, organizationId: string, tokens: readonly string[]) {
  for (let start = 0; start < tokens.length; start += BATCH) {
    const slice = tokens.slice(start, start + BATCH);
    await query(
      `WITH input AS (
         SELECT gen_random_uuid() AS id, external_id, token_hash
         FROM unnest($2::text[], $3::text[]) AS t(external_id, token_hash)
       ), created AS (
         INSERT INTO devices (id, organization_id, external_id, name, type, updated_at)
         SELECT id, $1, external_id, external_id, 'mqtt-bench', now() FROM input
       )
       INSERT INTO device_credentials (id, device_id, token_hash)
       SELECT gen_random_uuid(), id, token_hash FROM input`,
      [
        organizationId,
        slice.map((_, i) => `mqtt-bench-${start + i}`),
        slice.map((token) => hashDeviceToken(token)),
      ],
    );
  }
}

export function mintTokens(count: number): string[] {
  return Array.from({ length: count }, () => generateDeviceToken());
}

/**
 * Devices in an embedded DATA_DIR before the app opens it (PGlite allows one process at a time);
 * creates the database and the organization the app would.
 */
export async function seedEmbeddedDevices(
  dataDir: string,
  organization: { id: string; name: string },
  tokens: readonly string[],
) {
  const db = await openPglite({ dataDir });
  try {
    await applyMigrations(pgliteMigrationConnection(db));
    await db.query('INSERT INTO organizations (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      organization.id,
      organization.name,
    ]);
    await insertDevices((sql, params) => db.query(sql, params), organization.id, tokens);
  } finally {
    await db.close();
  }
}

/** Devices in a production stack's PostgreSQL database (its organization exists). */
export async function seedProductionDevices(
  databaseUrl: string,
  organizationId: string,
  tokens: readonly string[],
) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await insertDevices((sql, params) => client.query(sql, params), organizationId, tokens);
  } finally {
    await client.end();
  }
}
