import { z } from 'zod';
import { optionalString, requireAll } from './fields.js';

/** Redis, in production: live pub/sub, rate-limit buckets and the latest-values cache. */
export const redisSettings = z
  .object({ REDIS_URL: optionalString.pipe(z.url().optional()) })
  .transform((env) => (env.REDIS_URL ? { url: env.REDIS_URL } : undefined));

export const redisRequired = requireAll<z.input<typeof redisSettings>>('REDIS_URL');
