/**
 * How long telemetry is kept: raw points, and the rollup rows that answer long ranges once the
 * points are gone. The server sets an upper bound for every organization (RAW_RETENTION,
 * ROLLUP_RETENTION), and an organization may keep its own data for less (its admins decide:
 * Mutation.setRetention), never for more: the server's bound is the operator's disk.
 */

/** A retention as written (`90d`) and in ms. */
export interface RetentionPeriod {
  text: string;
  ms: number;
}

/** What is kept; a period left out: for ever. */
export interface Retention {
  raw?: RetentionPeriod;
  rollups?: RetentionPeriod;
}

const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** What retentionPeriod takes, for messages. */
export const RETENTION_FORMAT = 'a duration like 720h, 90d or 52w';

/** "90d", "12w", "720h": a whole number of hours, days or weeks; undefined for anything else. */
export function retentionPeriod(text: string): RetentionPeriod | undefined {
  if (!/^[1-9]\d{0,5}[hdw]$/.test(text)) return undefined;
  return { text, ms: Number(text.slice(0, -1)) * UNIT_MS[text.at(-1) as keyof typeof UNIT_MS] };
}

/** A whole number of hours as a period, in the largest unit that divides it. */
export function periodOfHours(hours: number): RetentionPeriod {
  const text =
    hours % 168 === 0 ? `${hours / 168}w` : hours % 24 === 0 ? `${hours / 24}d` : `${hours}h`;
  return { text, ms: hours * UNIT_MS.h };
}

/** The shorter of two periods (undefined: for ever). */
export const shorterPeriod = (a?: RetentionPeriod, b?: RetentionPeriod) =>
  a === undefined ? b : b === undefined || a.ms <= b.ms ? a : b;
const longer = (a: RetentionPeriod, b?: RetentionPeriod) =>
  b === undefined || a.ms >= b.ms ? a : b;

/**
 * What applies to an organization: for each, the shorter of the server's and its own. Rollups
 * are never kept for less than the points (they answer what the points no longer can); a server
 * bound lowered below what an organization chose for them lifts them to the points'.
 */
export function effectiveRetention(server: Retention, own: Retention): Retention {
  const raw = shorterPeriod(server.raw, own.raw);
  const rollups = shorterPeriod(server.rollups, own.rollups);
  // Points kept for ever keep their rollups for ever too.
  return rollups && raw ? { raw, rollups: longer(rollups, raw) } : { raw };
}

/** The oldest time a period keeps, at `now`; -Infinity for ever. */
export const oldestKeptAt = (period: RetentionPeriod | undefined, now: number) =>
  period === undefined ? -Infinity : now - period.ms;
