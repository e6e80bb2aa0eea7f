import { z } from 'zod';
import { optionalString } from './fields.js';

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90d", "12w", "720h": a whole number of hours, days or weeks, in ms. */
const duration = z
  .string()
  .regex(/^[1-9]\d{0,5}[hdw]$/, 'must be a duration like 720h, 90d or 52w')
  .transform((text) => ({
    text,
    ms: Number(text.slice(0, -1)) * UNIT_MS[text.at(-1) as keyof typeof UNIT_MS],
  }));

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
  .transform((env) => ({ rawRetention: env.RAW_RETENTION, rollupRetention: env.ROLLUP_RETENTION }));
