/**
 * An independent, deliberately naive computation of the documented aggregates, for checking the
 * stores' answers: arrays and sorting, no SQL.
 */
export interface Sample {
  ts: number;
  value: number;
}

export function nearestRank(sortedValues: readonly number[], percentile: number): number {
  const index = Math.floor((sortedValues.length * percentile) / 100 + 0.5) - 1;
  return sortedValues[Math.min(Math.max(index, 0), sortedValues.length - 1)]!;
}

export function referenceAggregates(samples: readonly Sample[]) {
  const byTime = [...samples].sort((a, b) => a.ts - b.ts);
  const values = byTime.map((sample) => sample.value);
  const sorted = [...values].sort((a, b) => a - b);
  const sum = values.reduce((total, value) => total + value, 0);
  return {
    mean: sum / values.length,
    min: sorted[0]!,
    max: sorted.at(-1)!,
    sum,
    count: values.length,
    first: values[0]!,
    last: values.at(-1)!,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
  };
}

/** Groups samples into epoch-aligned buckets of `every` ms. */
export function referenceBuckets(samples: readonly Sample[], every: number) {
  const buckets = new Map<number, Sample[]>();
  for (const sample of samples) {
    const start = Math.floor(sample.ts / every) * every;
    buckets.set(start, [...(buckets.get(start) ?? []), sample]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, members]) => ({ start, ...referenceAggregates(members) }));
}
