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
 * How long raw points are kept. Unset: for ever. Set, every process applies it: ingest refuses
 * older points, reads never show them, and the store deletes them (docs/architecture.md).
 */
export const retentionSettings = z
  .object({ RAW_RETENTION: optionalString.pipe(duration.optional()) })
  .transform((env) => ({ rawRetention: env.RAW_RETENTION }));
