import type { Aggregate, AggregateValues, Bucket } from '../domain/telemetry.js';

export type FillMode = 'NONE' | 'NULL' | 'ZERO' | 'PREVIOUS' | 'LINEAR';

export interface FillRequest {
  /** Every bucket's start in the range, in order (aligned buckets, or a time zone's). */
  starts: readonly number[];
  metrics: readonly string[];
  aggregates: readonly Aggregate[];
  /** Percentiles asked besides the aggregates: filled like them, each in its place. */
  percentiles?: readonly number[];
  mode: FillMode;
}

/** The starts of the buckets of `every` (aligned to multiples of it) that [from, to) touches. */
export function alignedStarts(from: number, to: number, every: number): number[] {
  const starts: number[] = [];
  for (let start = Math.floor(from / every) * every; start < to; start += every) starts.push(start);
  return starts;
}

/**
 * Stores return only buckets that hold points; the gaps are filled here, once, with InfluxQL's
 * fill() semantics, so the embedded and production stores cannot disagree about them. FIRST and
 * LAST may be booleans or strings: ZERO fills them with 0 only for a metric whose stored ones are
 * numbers, and LINEAR interpolates only between two numbers (null otherwise).
 */
export function fillBuckets(buckets: readonly Bucket[], request: FillRequest): Bucket[] {
  if (request.mode === 'NONE') return [...buckets];
  const byStart = new Map(buckets.map((bucket) => [bucket.start, bucket]));
  const textual = metricsWithTextualEnds(buckets);
  const filled: Bucket[] = [];
  for (const start of request.starts) {
    const found = byStart.get(start);
    const values: Record<string, AggregateValues> = {};
    for (const metric of request.metrics) {
      const present = found?.values[metric];
      values[metric] =
        present ?? emptyValues(request, request.mode === 'ZERO' ? 0 : null, textual.has(metric));
    }
    filled.push({ start, values, types: found?.types ?? {} });
  }
  if (request.mode === 'PREVIOUS') fillPrevious(filled, byStart, request);
  if (request.mode === 'LINEAR') fillLinear(filled, byStart, request);
  return filled;
}

/** Metrics whose stored FIRST or LAST is a boolean or a string somewhere. */
function metricsWithTextualEnds(buckets: readonly Bucket[]): Set<string> {
  const textual = new Set<string>();
  for (const bucket of buckets) {
    for (const [metric, values] of Object.entries(bucket.values)) {
      for (const end of [values.first, values.last]) {
        if (end !== undefined && end !== null && typeof end !== 'number') textual.add(metric);
      }
    }
  }
  return textual;
}

function emptyValues(
  request: Pick<FillRequest, 'aggregates' | 'percentiles'>,
  value: number | null,
  textualEnds: boolean,
): AggregateValues {
  const values: AggregateValues = Object.fromEntries(
    request.aggregates.map((aggregate) => [
      aggregate,
      textualEnds && (aggregate === 'first' || aggregate === 'last') ? null : value,
    ]),
  );
  if (request.percentiles?.length) {
    values.percentiles = request.percentiles.map((percentile) => ({ percentile, value }));
  }
  return values;
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
          values[aggregate] = interpolate(a, b, ratio);
        }
        if (request.percentiles?.length) {
          values.percentiles = request.percentiles.map((percentile, i) => ({
            percentile,
            value: interpolate(
              left.values.percentiles?.[i]?.value,
              right.values.percentiles?.[i]?.value,
              ratio,
            ),
          }));
        }
        filled[index]!.values[metric] = values;
      }
    }
  }
}

const interpolate = (a: unknown, b: unknown, ratio: number) =>
  typeof a === 'number' && typeof b === 'number' ? a + (b - a) * ratio : null;
