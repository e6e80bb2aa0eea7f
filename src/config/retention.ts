import { z } from 'zod';
import { RETENTION_FORMAT, retentionPeriod, type Retention } from '../domain/retention.js';
import { optionalString } from './fields.js';

/** "90d", "12w", "720h": a whole number of hours, days or weeks (domain/retention.ts). */
const duration = z.string().transform((text, context) => {
  const period = retentionPeriod(text);
  if (!period) context.addIssue({ code: 'custom', message: `must be ${RETENTION_FORMAT}` });
  return period ?? z.NEVER;
});

/**
 * How long raw points (RAW_RETENTION) and rollups (ROLLUP_RETENTION) are kept; unset, for ever.
 * Set, every process applies them: ingest refuses points older than the raw retention, reads never
 * show what either has expired, and the store deletes it (docs/architecture.md). Rollups answer
 * the long ranges, so they are kept at least as long as the points they sum up.
 */
export const retentionSettings = z
  .object({
    RAW_RETENTION: optionalString.pipe(duration.optional()),
    ROLLUP_RETENTION: optionalString.pipe(duration.optional()),
  })
  .refine(
    ({ RAW_RETENTION: raw, ROLLUP_RETENTION: rollups }) =>
      rollups === undefined || (raw !== undefined && rollups.ms >= raw.ms),
    {
      path: ['ROLLUP_RETENTION'],
      message: 'must be at least RAW_RETENTION (which must then be set too)',
    },
  )
  .transform((env) => ({
    /** The server's retention: every organization's bound (domain/retention.ts). */
    retention: { raw: env.RAW_RETENTION, rollups: env.ROLLUP_RETENTION } satisfies Retention,
  }));
