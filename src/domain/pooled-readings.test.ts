import { describe, expect, it } from 'vitest';
import { poolReadings, type Reading } from './pooled-readings.js';

const reading = (deviceId: string, value: Reading['value'], ts = 0): Reading => ({
  deviceId,
  value,
  ts,
});

describe('poolReadings', () => {
  it('sums exactly and means over the count, as a store bucket does', () => {
    // 0.1 + 0.2 + 0.3 added left to right is 0.6000000000000001; the exact sum rounds to 0.6.
    const readings = [reading('a', 0.1), reading('b', 0.2), reading('c', 0.3)];
    const { values, types } = poolReadings(readings, ['sum', 'mean', 'count', 'min', 'max']);
    expect(values).toEqual({ sum: 0.6, mean: 0.6 / 3, count: 3, min: 0.1, max: 0.3 });
    expect(types).toEqual(['number']);
  });

  it('takes nearest-rank percentiles over every reading', () => {
    const readings = [5, 1, 4, 2, 3].map((value, i) => reading(`d${i}`, value));
    expect(poolReadings(readings, ['p50', 'p90', 'p99']).values).toEqual({
      p50: 3,
      p90: 5,
      p99: 5,
    });
    expect(poolReadings(readings.slice(0, 4), ['p50']).values).toEqual({ p50: 2 });
  });

  it('picks FIRST and LAST by time, the device id deciding at the same time', () => {
    const readings = [reading('b', 'x', 10), reading('a', 'y', 10), reading('c', 'z', 20)];
    expect(poolReadings(readings, ['first', 'last']).values).toEqual({ first: 'y', last: 'z' });
    const tied = [reading('b', 1, 5), reading('a', 2, 5)];
    expect(poolReadings(tied, ['first', 'last']).values).toEqual({ first: 2, last: 1 });
  });

  it('gives the fraction of true as the MEAN of booleans, and null where a type has no value', () => {
    const readings = [
      reading('a', true),
      reading('b', false),
      reading('c', true),
      reading('d', true),
    ];
    const { values, types } = poolReadings(readings, ['mean', 'sum', 'count']);
    expect(values).toEqual({ mean: 0.75, sum: null, count: 4 });
    expect(types).toEqual(['boolean']);
    expect(poolReadings([reading('a', 'on'), reading('b', 2)], ['count']).types).toEqual([
      'number',
      'string',
    ]);
  });
});

describe('poolReadings: MEDIAN, STDDEV and SPREAD', () => {
  it('takes them over every reading, as a store bucket does', () => {
    const readings = [0.7, 0.1].map((value, i) => reading(`d${i}`, value));
    // InfluxQL's MEDIAN: lo + (hi - lo) / 2, which is 0.4 here; (lo + hi) / 2 would not be.
    expect(poolReadings(readings, ['median', 'spread']).values).toEqual({
      median: 0.4,
      spread: 0.7 - 0.1,
    });
    const four = [4, 1, 3, 2].map((value, i) => reading(`d${i}`, value));
    expect(poolReadings(four, ['median', 'stddev', 'spread']).values).toEqual({
      median: 2.5,
      stddev: Math.sqrt(5 / 3),
      spread: 3,
    });
    expect(poolReadings([reading('a', 7)], ['median', 'stddev', 'spread']).values).toEqual({
      median: 7,
      stddev: null,
      spread: 0,
    });
    expect(poolReadings([reading('a', true)], ['median', 'stddev']).values).toEqual({
      median: null,
      stddev: null,
    });
  });
});
