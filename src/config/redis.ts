import { z } from 'zod';
import { withTlsCaFile } from '../adapters/connections/redis-url.js';
import { optionalString, readableFile, requireAll } from './fields.js';

/**
 * Redis, in production: live pub/sub, rate-limit buckets and the latest-values cache.
 *
 * `rediss://` speaks TLS, verified against Node's public CAs or REDIS_TLS_CA_FILE; a password (or
 * user and password) goes in the URL: `rediss://:password@host:6380`. The CA file rides in the
 * section's `url` (src/adapters/connections/redis-url.ts), so every Redis client made from it gets
 * the same TLS options.
 */
export const redisSettings = z
  .object({
    REDIS_URL: optionalString.pipe(
      z
        .url()
        // zod runs this after a failed z.url() too (its problem is reported): only URLs are read.
        .refine((url) => !URL.canParse(url) || /^rediss?:$/.test(new URL(url).protocol), {
          error: 'must be a redis:// or rediss:// (TLS) URL',
        })
        .optional(),
    ),
    REDIS_TLS_CA_FILE: optionalString.pipe(readableFile.optional()),
  })
  .superRefine((env, ctx) => {
    // Also run when REDIS_URL failed its own check (reported already): only a URL is read.
    const url = env.REDIS_URL && URL.canParse(env.REDIS_URL) ? new URL(env.REDIS_URL) : undefined;
    if (env.REDIS_TLS_CA_FILE && url && url.protocol !== 'rediss:') {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_TLS_CA_FILE'],
        message: 'needs a rediss:// (TLS) REDIS_URL',
      });
    }
  })
  .transform((env) =>
    env.REDIS_URL ? { url: withTlsCaFile(env.REDIS_URL, env.REDIS_TLS_CA_FILE) } : undefined,
  );

export const redisRequired = requireAll<z.input<typeof redisSettings>>('REDIS_URL');
