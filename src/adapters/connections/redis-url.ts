/**
 * A Redis URL as this product reads it: `redis://` or `rediss://` (TLS), with the CA file of a
 * `rediss://` server as the `tls_ca_file` parameter. REDIS_TLS_CA_FILE is added to REDIS_URL as
 * it (src/config/redis.ts), so the one string every Redis client is made from (the live hub, the
 * rate limiter, the latest-values cache) carries the whole connection, TLS included, and
 * redis-connection.ts gives each the same options.
 */

export const TLS_CA_FILE_PARAMETER = 'tls_ca_file';

/** `url` with `caFile` as its tls_ca_file (unchanged without one). */
export function withTlsCaFile(url: string, caFile: string | undefined): string {
  if (caFile === undefined) return url;
  const parsed = new URL(url);
  parsed.searchParams.set(TLS_CA_FILE_PARAMETER, caFile);
  return parsed.toString();
}

/** The URL for ioredis (without our parameter), whether it is TLS, and the CA file, if any. */
export function readRedisUrl(url: string): { url: string; tls: boolean; caFile?: string } {
  const parsed = new URL(url);
  const caFile = parsed.searchParams.get(TLS_CA_FILE_PARAMETER) ?? undefined;
  parsed.searchParams.delete(TLS_CA_FILE_PARAMETER);
  return {
    url: caFile === undefined ? url : parsed.toString(),
    tls: parsed.protocol === 'rediss:',
    ...(caFile !== undefined ? { caFile } : {}),
  };
}
