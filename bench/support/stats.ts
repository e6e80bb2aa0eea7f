/** The summaries the benches report: medians of rounds, nearest-rank percentiles of samples. */

/** The middle value (the upper one of an even count); the values are not reordered. */
export const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Nearest rank: the smallest sample at or above p % of them; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * p) / 100) - 1)]!;
}

/** One load round as autocannon measured it. */
export interface LoadRound {
  /** Requests answered in the measured part. */
  requests: number;
  rate: number;
  p50: number;
  p99: number;
}

/** Each figure's median over the rounds. */
export const medianRound = (rounds: readonly LoadRound[]): LoadRound => ({
  requests: median(rounds.map((round) => round.requests)),
  rate: median(rounds.map((round) => round.rate)),
  p50: median(rounds.map((round) => round.p50)),
  p99: median(rounds.map((round) => round.p99)),
});
