/**
 * How much one GraphQL read may ask for. The resolvers refuse more with BAD_USER_INPUT, and the
 * query-cost estimator (src/api/hardening/query-cost.ts) prices fields by the same numbers, so
 * they live here, beside the domain, rather than in either.
 */

/** `devices` connection pages. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `alerts` pages, and the alert rules one organization may hold. */
export const DEFAULT_ALERTS = 100;
export const MAX_ALERTS = 1_000;
export const MAX_RULES_PER_ORGANIZATION = 1_000;

/** `telemetry`: buckets per series, metrics and percentiles per read; `rawTelemetry` pages. */
export const MAX_BUCKETS = 10_000;
export const MAX_METRICS = 50;
export const MAX_PERCENTILES = 10;
export const DEFAULT_RAW_PAGE = 100;
export const MAX_RAW_PAGE = 1_000;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/**
 * The widest bucket, about 100 years: far past any range a dashboard asks for, and small enough
 * that every store computes with it exactly (InfluxDB holds durations as int64 nanoseconds,
 * about 292 years; DuckDB's bucket arithmetic is on int64 milliseconds).
 */
const MAX_EVERY_WEEKS = 5_200;
export const MAX_EVERY_MS = MAX_EVERY_WEEKS * UNIT_MS.w;

/**
 * "30s", "5m", "1h", "1d": InfluxQL's duration literals, the ones dashboards already use.
 * Returns the width in milliseconds, or why the text is refused.
 */
export function parseEvery(every: string): { ms: number } | { problem: string } {
  const match = /^(\d{1,9})(ms|s|m|h|d|w)$/.exec(every);
  if (!match || Number(match[1]) === 0) {
    return { problem: 'every must be a duration like 500ms, 30s, 5m, 1h, 1d or 1w' };
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms > MAX_EVERY_MS) {
    return { problem: `every must be at most ${MAX_EVERY_WEEKS}w (about 100 years), got ${every}` };
  }
  return { ms };
}

/** A duration as parseEvery reads it, in its largest whole unit: 300000 → "5m", 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units = Object.entries(UNIT_MS).sort(([, a], [, b]) => b - a);
  const [unit, size] = units.find(([, size]) => ms % size === 0)!;
  return `${ms / size}${unit}`;
}

/**
 * How many buckets [from, to) touches: buckets are aligned to multiples of `every` since the
 * epoch, so a range that is not aligned touches one more than (to - from) / every, and that is
 * how many a fill mode returns.
 */
export function bucketCount(from: number, to: number, every: number): number {
  const first = Math.floor(from / every);
  const last = Math.floor((to - 1) / every);
  return last - first + 1;
}

/**
 * The windows `maxPoints` picks from, smallest first: the steps chart libraries and Grafana use,
 * so a chart's buckets fall on round times and line up with the rollups (1m, 1h).
 */
export const CHART_WINDOWS = [
  '1s',
  '2s',
  '5s',
  '10s',
  '15s',
  '30s',
  '1m',
  '2m',
  '5m',
  '10m',
  '15m',
  '30m',
  '1h',
  '2h',
  '3h',
  '6h',
  '12h',
  '1d',
  '7d',
  '30d',
] as const;

/**
 * `fleet`: the devices one fleet question may pool, the rankings `top` returns, and the cells
 * (devices × buckets × metrics) one fleet question may make a store aggregate. The answer's own
 * size (groups × buckets × metrics) is held to the operation cost limit.
 */
export const MAX_FLEET_DEVICES = 10_000;
export const MAX_TOP = 100;
export const MAX_FLEET_CELLS = 50_000_000;
