/**
 * PostgreSQL over TLS: DATABASE_URL's sslmode (read as libpq reads it) and DATABASE_SSL_CA_FILE,
 * on the machine's server with the test certificate and the TLS-only role of
 * scripts/services/postgres.sh. The config a process loads goes through the product's migration
 * runner and the metadata pool (Prisma's adapter on it) to a round trip; a wrong password, a CA
 * that did not sign the server's certificate and plaintext for the role are refused with the
 * engine and the cause; config problems never echo the URL.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresClientConfig } from '../../src/adapters/connections/postgres.js';
import { migrateDeviceDatabase } from '../../src/app/migrate.js';
import { productionAdapters } from '../../src/app/production-adapters.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { findSecureService, productionConfig, testCa } from '../support/secure-services.js';
import { uniqueSuffix } from '../support/services.js';

const postgres = await findSecureService('postgres');

describe.skipIf(!postgres)('PostgreSQL over TLS (sslmode, DATABASE_SSL_CA_FILE)', () => {
  const logger = createLogger('silent', 'postgres-tls-test');
  const name = `iot_test_tls_${uniqueSuffix()}`;
  const opened: MetadataDatabase[] = [];

  /** As the superuser over plaintext (trust), on the `postgres` database. */
  async function asAdmin<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const url = new URL(postgres!.adminUrl);
    url.pathname = '/postgres';
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** The TLS role's URL to the suite's database, with `password` and `query`. */
  function url(query: string, password = postgres!.password) {
    const parsed = new URL(postgres!.url);
    parsed.password = password;
    parsed.pathname = `/${name}`;
    parsed.search = query;
    return parsed.toString();
  }
  /** The `migrate` role's config (DATABASE_URL only) for those settings. */
  const configFor = (databaseUrl: string, caFile?: string) =>
    productionConfig('migrate', { DATABASE_URL: databaseUrl, DATABASE_SSL_CA_FILE: caFile });
  async function open(databaseUrl: string, caFile?: string) {
    const config = configFor(databaseUrl, caFile);
    const database = await productionAdapters.database(config, logger);
    opened.push(database);
    return database;
  }

  beforeAll(async () => {
    // Owned by the TLS role, so migrating it over TLS needs no other privilege.
    await asAdmin(`CREATE DATABASE "${name}" OWNER ${new URL(postgres!.url).username}`);
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((database) => database.close()));
    await asAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it('migrates and serves the repositories with sslmode=verify-full and the CA file', async () => {
    const config = configFor(url('?sslmode=verify-full'), testCa.file);
    // The migrate role's own path (src/app/migrate.ts): the CA travels in the config's URL.
    const { applied } = await migrateDeviceDatabase(config);
    expect(applied.length).toBeGreaterThan(0);
    const database = await open(url('?sslmode=verify-full'), testCa.file);
    await database.ping();
    const organizationId = `org-${uniqueSuffix()}`;
    await database.devices.ensureOrganization(organizationId, organizationId);
    const device = await database.devices.createDevice(
      { organizationId, externalId: 'ext-1', name: 'Over TLS', type: 'sensor' },
      `token-hash-${uniqueSuffix()}`,
    );
    const [found] = await database.devices.findDevices(organizationId, [device.id]);
    expect(found?.name).toBe('Over TLS');
    // Every connection of the role to this database is encrypted (pg_hba refuses it plaintext).
    const sessions = await asAdmin<{ ssl: boolean }>(
      `SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = $1`,
      [name],
    );
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((session) => session.ssl)).toBe(true);
  });

  it('connects with verify-ca and the CA file, and with require (libpq: not verified without one)', async () => {
    await (await open(url('?sslmode=verify-ca'), testCa.file)).ping();
    await (await open(url('?sslmode=require'))).ping();
    // sslrootcert in the URL itself is the same CA file.
    await (await open(url(`?sslmode=verify-full&sslrootcert=${testCa.file}`))).ping();
  });

  it('refuses a wrong password: "postgres: authentication failed"', async () => {
    const database = await open(url('?sslmode=verify-full', 'not-the-password'), testCa.file);
    const refused = await database.ping().catch((error: unknown) => error);
    expect(refused).toMatchObject({ engine: 'postgres', failure: 'authentication' });
    expect((refused as Error).message).toBe(
      'postgres: authentication failed (password authentication failed for user "iot_tls")',
    );
    await expect(
      migrateDeviceDatabase(configFor(url('?sslmode=require', 'not-the-password'))),
    ).rejects.toThrow('postgres: authentication failed');
  });

  it('refuses a server certificate its CA did not sign: "postgres: certificate not trusted"', async () => {
    for (const mode of ['verify-full', 'verify-ca', 'require']) {
      const database = await open(url(`?sslmode=${mode}`), testCa.otherFile);
      const refused = await database.ping().catch((error: unknown) => error);
      expect(refused, mode).toMatchObject({ engine: 'postgres', failure: 'untrusted-certificate' });
      expect((refused as Error).message).toBe(
        'postgres: certificate not trusted (self-signed certificate in certificate chain)',
      );
    }
    // verify-full without a CA file: Node's public CAs, of which the test CA is not one.
    const publicCas = await open(url('?sslmode=verify-full'));
    await expect(publicCas.ping()).rejects.toThrow(/^postgres: certificate not trusted/);
  });

  it('refuses plaintext for a TLS-only role: "postgres: connection not allowed"', async () => {
    const database = await open(url('?sslmode=disable'));
    await expect(database.ping()).rejects.toThrow(
      /^postgres: connection not allowed \(pg_hba\.conf rejects connection .* no encryption\)$/,
    );
  });

  it('lists unsupported sslmodes and TLS parameters without echoing the URL', () => {
    const secret = 'a-password-that-must-not-show';
    const problems = (databaseUrl: string, caFile?: string) => {
      try {
        loadConfig(
          { MODE: 'production', DATABASE_URL: databaseUrl, DATABASE_SSL_CA_FILE: caFile },
          'migrate',
        );
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return '';
    };
    const prefer = problems(url('?sslmode=prefer', secret));
    expect(prefer).toContain(
      'DATABASE_URL: sslmode=prefer is not supported (node-postgres cannot fall back between TLS and plaintext): use disable, require, verify-ca or verify-full',
    );
    expect(prefer).not.toContain(secret);
    expect(problems(url('?sslmode=verify-ca', secret))).toContain(
      'DATABASE_URL: sslmode=verify-ca needs a CA file (DATABASE_SSL_CA_FILE)',
    );
    expect(problems(url('', secret), testCa.file)).toContain(
      'DATABASE_URL: a CA file (sslrootcert) needs sslmode=require, verify-ca or verify-full',
    );
    expect(problems(url('?sslmode=require&ssl=true', secret))).toContain(
      'DATABASE_URL: the URL parameter ssl is not supported: TLS is set by sslmode and DATABASE_SSL_CA_FILE',
    );
    expect(problems(url('?sslmode=require', secret), '/nonexistent/ca')).toContain(
      'DATABASE_SSL_CA_FILE: cannot read /nonexistent/ca (ENOENT)',
    );
  });

  it('hands node-postgres an explicit ssl per mode, the TLS parameters stripped', () => {
    const plain = postgresClientConfig(url(''));
    expect(plain.ssl).toBe(false);
    const require = postgresClientConfig(url('?sslmode=require&application_name=x'));
    expect(require.ssl).toEqual({ rejectUnauthorized: false });
    expect(new URL(require.connectionString).search).toBe('?application_name=x');
    const full = postgresClientConfig(url(`?sslmode=verify-full&sslrootcert=${testCa.file}`));
    expect(full.ssl).toEqual({ ca: expect.stringContaining('BEGIN CERTIFICATE') });
    expect(new URL(full.connectionString).search).toBe('');
  });
});
