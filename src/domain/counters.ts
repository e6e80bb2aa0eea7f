/**
 * INCREASE and RATE of a counter, as every store computes them. A counter's steps are taken
 * between consecutive numbers of one device's metric in time order: the rise when it rose or
 * stayed, and when it dropped (a reset: the device restarted counting from zero) the new value
 * itself. Each step belongs to the bucket of its later point, and only points in the range count,
 * so a device's bucket INCREASEs add up to the INCREASE of the whole range. A bucket's INCREASE is
 * the exact sum of its steps rounded once (domain/exact-sum.ts), 0 for a bucket whose only number
 * starts the series; pooled over a group of devices, the exact sum of all their steps. RATE is the
 * INCREASE per second of the bucket's span within the range.
 */

/** The step from one number of a counter to the next. */
export const counterStep = (previous: number, current: number) =>
  current >= previous ? current - previous : current;

/**
 * INCREASE over the seconds of the bucket starting at `start` (of `every` ms) that lie within
 * [from, to): the first and last buckets of a range that cuts them are shorter.
 */
export function rateOf(
  increase: number | null,
  start: number,
  question: { every: number; from: number; to: number },
): number | null {
  if (increase === null) return null;
  const span = Math.min(start + question.every, question.to) - Math.max(start, question.from);
  return increase / (span / 1_000);
}
