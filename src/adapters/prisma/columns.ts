/** Column rules every repository on the Prisma database shares. */
import { Prisma } from '../../generated/prisma/client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuid columns: anything else names no row (and must not reach a ::uuid cast). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A jsonb labels column (an object, or its JSON text) as a flat string → string map. */
export function toLabels(value: unknown): Record<string, string> {
  if (typeof value === 'string') return toLabels(JSON.parse(value));
  const labels: Record<string, string> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return labels;
  for (const [key, label] of Object.entries(value)) {
    if (typeof label === 'string') labels[key] = label;
  }
  return labels;
}

/**
 * A timestamptz column read as epoch ms (a float8): the same number whichever driver adapter
 * (PGlite or pg) and session time zone read it.
 */
export const epochMs = (column: Prisma.Sql) =>
  Prisma.sql`round(extract(epoch FROM ${column}) * 1000)::float8`;

/** Epoch ms as the ISO text a ::timestamptz parameter takes. */
export const iso = (ms: number) => new Date(ms).toISOString();
