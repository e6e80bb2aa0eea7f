/**
 * InfluxDB's rollup rows in memory (rollup-plan.ts): what every derivable aggregate of one
 * device's metric over one span needs, in parts that combine exactly, so a bucket put together
 * from rows has the very bits of the bucket computed from the points (influx-aggregates.ts).
 * Pure: influx-rollup-writer.ts builds rows from points and coarser rows from finer ones,
 * influx-rollup-buckets.ts folds them into a question's buckets, influx-rollup-fields.ts stores
 * them.
 */
import { counterStep } from '../../domain/counters.js';
import { ExactMoments } from '../../domain/exact-moments.js';
import { ExactSum } from '../../domain/exact-sum.js';
import type { MetricValue } from '../../domain/telemetry.js';

/** A value with the time it was sent at: a span's FIRST or LAST. */
export interface TimedValue {
  ts: number;
  value: MetricValue;
}

/** What merges over any spans, of one device or pooled over several. */
export interface Summary {
  numbers: number;
  booleans: number;
  strings: number;
  /** How many of the booleans are true (MEAN of booleans). */
  trues: number;
  /** Of the numbers: Infinity and -Infinity without numbers. */
  min: number;
  max: number;
  /** The earliest and latest value of any type; undefined only in a summary of nothing. */
  first?: TimedValue;
  last?: TimedValue;
  /** Count, exact Σx and Σx² of the numbers: SUM, MEAN and STDDEV. */
  moments: ExactMoments;
}

/**
 * A counter over one device's span (domain/counters.ts), for a span with numbers: its first
 * number, its last with its time, and the exact sum of the steps between its own numbers. The
 * step into a span, from the last number of the one before, is added when spans are put together.
 */
export interface Counter {
  first: number;
  last: number;
  lastTs: number;
  /** Steps past the largest double are left out, as the raw reads leave them out. */
  steps: ExactSum;
}

/** One device's metric over [start, start + grain). */
export interface RollupRow extends Summary {
  start: number;
  /** Undefined without numbers. */
  counter?: Counter;
}

export const emptySummary = (): Summary => ({
  numbers: 0,
  booleans: 0,
  strings: 0,
  trues: 0,
  min: Infinity,
  max: -Infinity,
  moments: new ExactMoments(),
});

export const emptyRow = (start: number): RollupRow => ({ start, ...emptySummary() });

/** Adds the exact step from `previous` to `current` to `steps`, unless it overflows. */
export function addStep(steps: ExactSum, previous: number, current: number): void {
  const step = counterStep(previous, current);
  if (Number.isFinite(step)) steps.add(step);
}

/** Adds one stored value to a row; a device's values must come in time order. */
export function addValue(row: RollupRow, ts: number, value: MetricValue): void {
  const timed = { ts, value };
  row.first ??= timed;
  row.last = timed;
  if (typeof value === 'boolean') {
    row.booleans += 1;
    if (value) row.trues += 1;
    return;
  }
  if (typeof value === 'string') {
    row.strings += 1;
    return;
  }
  row.numbers += 1;
  if (value < row.min) row.min = value;
  if (value > row.max) row.max = value;
  row.moments.add(value);
  if (!row.counter) {
    row.counter = { first: value, last: value, lastTs: ts, steps: new ExactSum() };
    return;
  }
  addStep(row.counter.steps, row.counter.last, value);
  row.counter.last = value;
  row.counter.lastTs = ts;
}

/** Merges what `from` holds into `into`, but for a counter's steps: counts, ends and sums. */
export function mergeSummary(into: Summary, from: Summary): void {
  into.numbers += from.numbers;
  into.booleans += from.booleans;
  into.strings += from.strings;
  into.trues += from.trues;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
  if (from.first && (!into.first || from.first.ts < into.first.ts)) into.first = from.first;
  if (from.last && (!into.last || from.last.ts > into.last.ts)) into.last = from.last;
  into.moments.merge(from.moments);
}

/**
 * Appends a later row of the same device's metric to `into` (a coarser row): its summary, and
 * its counter chained on: its own steps, plus the step from `into`'s last number to its first.
 */
export function appendRow(into: RollupRow, next: RollupRow): void {
  mergeSummary(into, next);
  const after = next.counter;
  if (!after) return;
  if (!into.counter) {
    into.counter = { ...after, steps: new ExactSum() };
  } else {
    addStep(into.counter.steps, into.counter.last, after.first);
    into.counter.last = after.last;
    into.counter.lastTs = after.lastTs;
  }
  into.counter.steps.merge(after.steps);
}
