import type { Bucket } from '../../domain/telemetry.js';
import type { RollupPlan } from '../../domain/rollups.js';

/**
 * Each series' buckets from the answers of a plan's parts (`whole` and the `cut` ones, each the
 * buckets of its own part of the range, none shared), in ascending time.
 */
export function mergeAnswers(answers: readonly Map<string, Bucket[]>[]): Map<string, Bucket[]> {
  const merged = new Map<string, Bucket[]>();
  for (const answer of answers) {
    for (const [key, buckets] of answer) {
      const known = merged.get(key);
      if (known) known.push(...buckets);
      else merged.set(key, [...buckets]);
    }
  }
  for (const buckets of merged.values()) buckets.sort((a, b) => a.start - b.start);
  return merged;
}

/**
 * The question answered by a plan: the whole buckets by `fromRollups`, each cut one by `fromRaw`,
 * in parallel. A counter's first step in each part may come from a point before it, so every
 * part keeps the question's own `counterFrom` (the range's start by default).
 */
export async function answerByPlan<Q extends { from: number; to: number; counterFrom?: number }>(
  question: Q,
  plan: RollupPlan,
  fromRollups: (part: Q, grain: number) => Promise<Map<string, Bucket[]>>,
  fromRaw: (part: Q) => Promise<Map<string, Bucket[]>>,
): Promise<Map<string, Bucket[]>> {
  const counterFrom = Math.min(question.counterFrom ?? question.from, question.from);
  const part = (range: { from: number; to: number }): Q => ({ ...question, ...range, counterFrom });
  return mergeAnswers(
    await Promise.all([
      fromRollups(part(plan.whole), plan.grain),
      ...plan.cut.map((range) => fromRaw(part(range))),
    ]),
  );
}
