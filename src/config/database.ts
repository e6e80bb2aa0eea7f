import { z } from 'zod';
import { optionalString, requireAll } from './fields.js';

/** PostgreSQL, production's metadata database: devices, API keys, alert rules and states. */
export const databaseSettings = z
  .object({ DATABASE_URL: optionalString.pipe(z.url().optional()) })
  .transform((env) => (env.DATABASE_URL ? { url: env.DATABASE_URL } : undefined));

export const databaseRequired = requireAll<z.input<typeof databaseSettings>>('DATABASE_URL');
