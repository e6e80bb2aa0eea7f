/**
 * A question's buckets put together from rollup rows (influx-rollup-rows.ts), per device or pooled
 * per group, with the values and types the raw reads give (influx-aggregates.ts valuesOf): the
 * same null rules, SUM and MEAN from the exact sum, STDDEV from the exact moments, INCREASE from
 * the exact sum of the steps and RATE by rateOf. Pure: influx-rollup-reader.ts feeds it the rows.
 */
import { rateOf } from '../../domain/counters.js';
import { ExactSum } from '../../domain/exact-sum.js';
import {
  compareMetricNames,
  type Aggregate,
  type AggregateValues,
  type Bucket,
  type ValueType,
} from '../../domain/telemetry.js';
import { bucketOffset, bucketStart } from '../../domain/bucket-grid.js';
import {
  addStep,
  emptySummary,
  mergeSummary,
  type RollupRow,
  type Summary,
} from './influx-rollup-rows.js';

/** The part of a question answered from rollups: whole buckets only (rollup-plan.ts). */
export interface RollupQuestion {
  from: number;
  to: number;
  every: number;
  origin?: number;
  aggregates: readonly Aggregate[];
  /** Where a counter's previous number may be (answerByPlan sets it, at most `from`). */
  counterFrom: number;
}

/** One metric in one bucket of a series: what merges, and the exact sum of its steps. */
interface Cell extends Summary {
  increase: ExactSum;
}

/** A device's metric's last number so far, lent to the step into its next row. */
interface Link {
  last: number;
  lastTs: number;
}

export const asksCounters = (aggregates: readonly Aggregate[]) =>
  aggregates.includes('increase') || aggregates.includes('rate');

/**
 * Buckets of the series `seriesOf` names (a device's own id, or its group's key; undefined: not
 * asked). Each device's metric's rows must be added in time order, after the number `lend` gave
 * it from before the range, if any. A step into a row counts when the number it steps from is at
 * or after `counterFrom`, exactly as the raw reads take a previous point from [counterFrom, from).
 */
export function createRollupBuckets(
  question: RollupQuestion,
  seriesOf: (deviceId: string) => string | undefined,
) {
  const offset = bucketOffset(question.every, question.origin);
  const counters = asksCounters(question.aggregates);
  const cells = new Map<string, Map<number, Map<string, Cell>>>();
  const links = new Map<string, Link>();

  function cellOf(key: string, start: number, metric: string): Cell {
    let byStart = cells.get(key);
    if (!byStart) cells.set(key, (byStart = new Map()));
    let byMetric = byStart.get(start);
    if (!byMetric) byStart.set(start, (byMetric = new Map()));
    let cell = byMetric.get(metric);
    if (!cell) byMetric.set(metric, (cell = { ...emptySummary(), increase: new ExactSum() }));
    return cell;
  }

  return {
    /** A device's metric's last number before the range, with its time. */
    lend(deviceId: string, metric: string, link: Link): void {
      links.set(`${deviceId}\u0000${metric}`, link);
    },

    add(deviceId: string, metric: string, row: RollupRow): void {
      const key = seriesOf(deviceId);
      if (key === undefined) return;
      const cell = cellOf(key, bucketStart(row.start, question.every, offset), metric);
      mergeSummary(cell, row);
      if (!counters || !row.counter) return;
      const chain = `${deviceId}\u0000${metric}`;
      const previous = links.get(chain);
      if (previous && previous.lastTs >= question.counterFrom) {
        addStep(cell.increase, previous.last, row.counter.first);
      }
      cell.increase.merge(row.counter.steps);
      links.set(chain, { last: row.counter.last, lastTs: row.counter.lastTs });
    },

    /** Each series' non-empty buckets in ascending time, metrics by name. */
    buckets(): Map<string, Bucket[]> {
      const result = new Map<string, Bucket[]>();
      for (const [key, byStart] of cells) {
        const buckets: Bucket[] = [];
        for (const start of [...byStart.keys()].sort((a, b) => a - b)) {
          const byMetric = byStart.get(start)!;
          const bucket: Bucket = { start, values: {}, types: {} };
          for (const metric of [...byMetric.keys()].sort(compareMetricNames)) {
            const cell = byMetric.get(metric)!;
            const types = typesOf(cell);
            if (types.length === 0) continue;
            bucket.values[metric] = valuesOf(cell, start, question);
            bucket.types[metric] = types;
          }
          if (Object.keys(bucket.values).length > 0) buckets.push(bucket);
        }
        if (buckets.length > 0) result.set(key, buckets);
      }
      return result;
    },
  };
}

/** The types of a cell's values, by name. */
function typesOf(cell: Summary): ValueType[] {
  const types: ValueType[] = [];
  if (cell.booleans > 0) types.push('boolean');
  if (cell.numbers > 0) types.push('number');
  if (cell.strings > 0) types.push('string');
  return types;
}

function valuesOf(cell: Cell, start: number, question: RollupQuestion): AggregateValues {
  const numbers = cell.numbers > 0;
  const sum = numbers ? cell.moments.sumValue() : null;
  const increase = numbers ? cell.increase.value() : null;
  const values: AggregateValues = {};
  for (const name of question.aggregates) {
    if (name === 'count') values.count = cell.numbers + cell.booleans + cell.strings;
    else if (name === 'sum') values.sum = sum;
    else if (name === 'mean') {
      values.mean =
        sum !== null ? sum / cell.numbers : cell.booleans > 0 ? cell.trues / cell.booleans : null;
    } else if (name === 'first' || name === 'last') values[name] = cell[name]?.value ?? null;
    else if (name === 'min') values.min = numbers ? cell.min : null;
    else if (name === 'max') values.max = numbers ? cell.max : null;
    else if (name === 'spread') values.spread = numbers ? cell.max - cell.min : null;
    else if (name === 'stddev') values.stddev = numbers ? cell.moments.stddev() : null;
    else if (name === 'increase') values.increase = increase;
    else if (name === 'rate') values.rate = rateOf(increase, start, question);
    else throw new RangeError(`${name} is not answered from rollups`);
  }
  return values;
}
