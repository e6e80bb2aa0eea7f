import type { Aggregate, AggregateValues, Bucket } from '../domain/telemetry.js';

export type FillMode = 'NONE' | 'NULL' | 'ZERO' | 'PREVIOUS' | 'LINEAR';

export interface FillRequest {
  from: number;
  to: number;
  every: number;
  metrics: readonly string[];
  aggregates: readonly Aggregate[];
  mode: FillMode;
}

/**
 * Stores return only buckets that hold points; the gaps are filled here, once, with InfluxQL's
 * fill() semantics, so the embedded and production stores cannot disagree about them.
 */
export function fillBuckets(buckets: readonly Bucket[], request: FillRequest): Bucket[] {
  if (request.mode === 'NONE') return [...buckets];
  const byStart = new Map(buckets.map((bucket) => [bucket.start, bucket]));
  const firstStart = Math.floor(request.from / request.every) * request.every;
  const filled: Bucket[] = [];
  for (let start = firstStart; start < request.to; start += request.every) {
    const found = byStart.get(start);
    const values: Record<string, AggregateValues> = {};
    for (const metric of request.metrics) {
      const present = found?.values[metric];
      values[metric] =
        present ?? emptyValues(request.aggregates, request.mode === 'ZERO' ? 0 : null);
    }
    filled.push({ start, values });
  }
  if (request.mode === 'PREVIOUS') fillPrevious(filled, byStart, request);
  if (request.mode === 'LINEAR') fillLinear(filled, byStart, request);
  return filled;
}

function emptyValues(aggregates: readonly Aggregate[], value: number | null): AggregateValues {
  return Object.fromEntries(aggregates.map((aggregate) => [aggregate, value]));
}

function fillPrevious(filled: Bucket[], original: Map<number, Bucket>, request: FillRequest) {
  for (const metric of request.metrics) {
    let previous: AggregateValues | undefined;
    for (const bucket of filled) {
      const own = original.get(bucket.start)?.values[metric];
      if (own) previous = own;
      else if (previous) bucket.values[metric] = { ...previous };
    }
  }
}

/** Interpolates each aggregate between the nearest non-empty buckets; edges stay null. */
function fillLinear(filled: Bucket[], original: Map<number, Bucket>, request: FillRequest) {
  for (const metric of request.metrics) {
    const known = filled
      .map((bucket, index) => ({ index, values: original.get(bucket.start)?.values[metric] }))
      .filter((entry): entry is { index: number; values: AggregateValues } => !!entry.values);
    for (let k = 0; k + 1 < known.length; k++) {
      const left = known[k]!;
      const right = known[k + 1]!;
      for (let index = left.index + 1; index < right.index; index++) {
        const ratio = (index - left.index) / (right.index - left.index);
        const values: AggregateValues = {};
        for (const aggregate of request.aggregates) {
          const a = left.values[aggregate];
          const b = right.values[aggregate];
          values[aggregate] = a == null || b == null ? null : a + (b - a) * ratio;
        }
        filled[index]!.values[metric] = values;
      }
    }
  }
}
