import { describe, expect, it } from 'vitest';
import type { Bucket } from '../domain/telemetry.js';
import { fillBuckets, type FillMode } from './fill.js';

const MINUTE = 60_000;

/** Buckets at minutes 0 and 3 of a four-minute range; 1 and 2 are gaps. */
const stored: Bucket[] = [
  {
    start: 0,
    values: {
      v: {
        stddev: 2,
        median: 10,
        percentiles: [
          { percentile: 99.9, value: 20 },
          { percentile: 12.5, value: 4 },
        ],
      },
    },
    types: { v: ['number'] },
  },
  {
    start: 3 * MINUTE,
    values: {
      v: {
        stddev: 5,
        median: 40,
        percentiles: [
          { percentile: 99.9, value: 50 },
          { percentile: 12.5, value: null },
        ],
      },
    },
    types: { v: ['number'] },
  },
];

const fill = (mode: FillMode) =>
  fillBuckets(stored, {
    starts: [0, MINUTE, 2 * MINUTE, 3 * MINUTE],
    metrics: ['v'],
    aggregates: ['stddev', 'median'],
    percentiles: [99.9, 12.5],
    mode,
  }).map((bucket) => bucket.values.v);

describe('fill of MEDIAN, STDDEV and the percentiles asked', () => {
  it('ZERO and NULL fill each aggregate and each percentile, in its place', () => {
    expect(fill('ZERO')[1]).toEqual({
      stddev: 0,
      median: 0,
      percentiles: [
        { percentile: 99.9, value: 0 },
        { percentile: 12.5, value: 0 },
      ],
    });
    expect(fill('NULL')[2]).toEqual({
      stddev: null,
      median: null,
      percentiles: [
        { percentile: 99.9, value: null },
        { percentile: 12.5, value: null },
      ],
    });
  });

  it('PREVIOUS repeats them, LINEAR interpolates each between numbers', () => {
    expect(fill('PREVIOUS')[2]).toEqual(stored[0]!.values.v);
    expect(fill('LINEAR').slice(1, 3)).toEqual([
      {
        stddev: 3,
        median: 20,
        percentiles: [
          { percentile: 99.9, value: 30 },
          { percentile: 12.5, value: null },
        ],
      },
      {
        stddev: 4,
        median: 30,
        percentiles: [
          { percentile: 99.9, value: 40 },
          { percentile: 12.5, value: null },
        ],
      },
    ]);
  });
});
