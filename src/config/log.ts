import { z } from 'zod';

/** How much each process logs (JSON lines, pino). */
export const logSettings = z
  .object({
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  })
  .transform((env) => ({ logLevel: env.LOG_LEVEL }));
