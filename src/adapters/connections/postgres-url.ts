/**
 * TLS as a PostgreSQL URL states it, read the way libpq (psql, every PostgreSQL document) reads
 * it, not the way node-postgres does: pg 8 takes `sslmode=require` and `verify-ca` as
 * `verify-full` (with a deprecation warning), so a URL copied from a provider's console would
 * verify more than it says, or less once pg follows libpq. This product reads `sslmode` and
 * `sslrootcert` itself and hands pg an explicit `ssl` object, with the URL stripped of them.
 *
 *   (unset), disable  no TLS (node-postgres cannot try TLS first and fall back, as libpq's default
 *                     `prefer` does: `prefer` and `allow` are refused rather than guessed)
 *   require           TLS. Without a CA file the server's certificate is NOT verified (libpq's
 *                     meaning: encrypted, not authenticated); with one, its chain is (verify-ca)
 *   verify-ca         TLS, the chain verified against the CA file (required: with the public CAs
 *                     any certificate they issued would do), the host name not checked
 *   verify-full       TLS, the chain verified (against the CA file, else Node's public CAs) and the
 *                     certificate must name the host of the URL
 *
 * The CA file is `sslrootcert` (DATABASE_SSL_CA_FILE is added to the URL as it: one string then
 * carries the whole connection, to the pool and to the migration runner alike); `system` means
 * Node's public CAs, as in libpq 16.
 */

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PostgresTls {
  mode: SslMode;
  /** The CA file's path; undefined: Node's public CAs (or, for `require`, no verification). */
  caFile: string | undefined;
}

/** URL parameters about TLS that this module reads, or refuses, so node-postgres never sees them. */
const READ = ['sslmode', 'sslrootcert'];
const REFUSED = ['ssl', 'sslcert', 'sslkey', 'sslpassword', 'sslcrl', 'uselibpqcompat'];

/**
 * The TLS the URL asks for, the URL without its TLS parameters, and what is wrong with them
 * (empty when nothing is). Problems name parameters and modes, never the URL (it may hold a
 * password).
 */
export function readPostgresTls(url: URL): {
  tls: PostgresTls;
  connectionString: string;
  problems: string[];
} {
  const problems: string[] = [];
  const given = url.searchParams.get('sslmode') ?? 'disable';
  let mode: SslMode = 'disable';
  if ((SSL_MODES as readonly string[]).includes(given)) mode = given as SslMode;
  else if (given === 'prefer' || given === 'allow') {
    problems.push(
      `sslmode=${given} is not supported (node-postgres cannot fall back between TLS and plaintext): use disable, require, verify-ca or verify-full`,
    );
  } else {
    problems.push(`sslmode must be one of ${SSL_MODES.join(', ')}`);
  }
  const rootCert = url.searchParams.get('sslrootcert') ?? undefined;
  const caFile = rootCert === 'system' ? undefined : rootCert;
  if (rootCert !== undefined && mode === 'disable') {
    problems.push('a CA file (sslrootcert) needs sslmode=require, verify-ca or verify-full');
  }
  if (mode === 'verify-ca' && caFile === undefined) {
    problems.push(
      'sslmode=verify-ca needs a CA file (DATABASE_SSL_CA_FILE): with the public CAs it would accept any certificate they issued; use verify-full for those',
    );
  }
  for (const name of REFUSED) {
    if (url.searchParams.has(name)) {
      problems.push(
        `the URL parameter ${name} is not supported: TLS is set by sslmode and DATABASE_SSL_CA_FILE`,
      );
    }
  }
  const stripped = new URL(url);
  for (const name of [...READ, ...REFUSED]) stripped.searchParams.delete(name);
  return { tls: { mode, caFile }, connectionString: stripped.toString(), problems };
}

/** `url` with `caFile` as its sslrootcert (unchanged without one). */
export function withRootCert(url: string, caFile: string | undefined): string {
  if (caFile === undefined) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('sslrootcert', caFile);
  return parsed.toString();
}
