import { bucketOffset, bucketStart } from './bucket-grid.js';
import type { Aggregate } from './telemetry.js';

/**
 * The widths of the rollups both stores keep, finest first: each is a whole number of the one
 * before it, so a level is built from the finer one (docs/architecture.md, "Rollups").
 */
export const ROLLUP_GRAINS = [60_000, 300_000, 3_600_000] as const;

/**
 * The aggregates a rollup row answers: everything but an order statistic (the percentiles and
 * MEDIAN need every number, so they read raw points).
 */
export const ROLLUP_AGGREGATES: ReadonlySet<Aggregate> = new Set([
  'count',
  'sum',
  'mean',
  'min',
  'max',
  'first',
  'last',
  'stddev',
  'spread',
  'increase',
  'rate',
]);

/** What decides the plan: the range, the buckets, and what is asked of them. */
interface Question {
  from: number;
  to: number;
  every: number;
  origin?: number;
  aggregates: readonly Aggregate[];
  percentiles?: readonly number[];
}

/** How a question is answered: its whole buckets from rollups of `grain`, its cut ones raw. */
export interface RollupPlan {
  grain: number;
  /** The buckets that lie whole in the range: [from, to) on bucket bounds, read from rollups. */
  whole: { from: number; to: number };
  /** The first and last buckets when the range cuts them, read from raw points. */
  cut: { from: number; to: number }[];
}

/**
 * The coarsest rollup whose rows each lie in one bucket of the question (its width a multiple of
 * the bucket width, and the buckets' origin on its grid), or undefined when the question must
 * read raw points: it asks for an order statistic, or no bucket lies whole in the range.
 */
export function planRollups(question: Question): RollupPlan | undefined {
  if ((question.percentiles?.length ?? 0) > 0) return undefined;
  if (!question.aggregates.every((name) => ROLLUP_AGGREGATES.has(name))) return undefined;
  const { every, from, to } = question;
  const offset = bucketOffset(every, question.origin);
  const grain = [...ROLLUP_GRAINS].reverse().find((g) => every % g === 0 && offset % g === 0);
  if (grain === undefined) return undefined;
  const first = bucketStart(from, every, offset);
  const wholeFrom = first === from ? from : first + every;
  const wholeTo = bucketStart(to, every, offset);
  if (wholeFrom >= wholeTo) return undefined;
  const cut = [];
  if (from < wholeFrom) cut.push({ from, to: wholeFrom });
  if (wholeTo < to) cut.push({ from: wholeTo, to });
  return { grain, whole: { from: wholeFrom, to: wholeTo }, cut };
}
