import { z } from 'zod';
import { readPostgresTls, withRootCert } from '../adapters/connections/postgres-url.js';
import { optionalString, readableFile, requireAll } from './fields.js';

/**
 * PostgreSQL, production's metadata database: devices, API keys, alert rules and states.
 *
 * TLS is DATABASE_URL's `sslmode`, read as libpq reads it (not as node-postgres does; the modes
 * are spelled out in src/adapters/connections/postgres-url.ts): unset or `disable` no TLS;
 * `require` TLS without verifying the server unless a CA file is given; `verify-ca` the chain
 * against DATABASE_SSL_CA_FILE; `verify-full` the chain (against the CA file, else Node's public
 * CAs) and the host name. `prefer` and `allow` are refused. The CA file becomes the URL's
 * `sslrootcert`, so the pool and the migration runner connect alike.
 */
export const databaseSettings = z
  .object({
    DATABASE_URL: optionalString.pipe(z.url().optional()),
    DATABASE_SSL_CA_FILE: optionalString.pipe(readableFile.optional()),
  })
  .superRefine((env, ctx) => {
    // zod runs this even when DATABASE_URL failed z.url() (reported already): only a URL is read.
    if (!env.DATABASE_URL || !URL.canParse(env.DATABASE_URL)) return;
    const url = new URL(env.DATABASE_URL);
    if (env.DATABASE_SSL_CA_FILE && url.searchParams.has('sslrootcert')) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_SSL_CA_FILE'],
        message: 'DATABASE_URL names a CA file already (sslrootcert): give it in one place',
      });
      return;
    }
    const { problems } = readPostgresTls(new URL(withRootCert(url.href, env.DATABASE_SSL_CA_FILE)));
    for (const message of problems) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message });
    }
  })
  .transform((env) =>
    env.DATABASE_URL
      ? { url: withRootCert(env.DATABASE_URL, env.DATABASE_SSL_CA_FILE) }
      : undefined,
  );

export const databaseRequired = requireAll<z.input<typeof databaseSettings>>('DATABASE_URL');
