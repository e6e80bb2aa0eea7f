import { describe, expect, it } from 'vitest';
import { operationNameLabel } from './graphql-metrics.js';

describe('operationNameLabel', () => {
  it('keeps plain GraphQL names and calls the unnamed Anonymous', () => {
    expect(operationNameLabel('DevicesPage')).toBe('DevicesPage');
    expect(operationNameLabel('DevicesPage')).toBe('DevicesPage');
    expect(operationNameLabel(undefined)).toBe('Anonymous');
  });

  it('puts names that are not GraphQL names, or too long, under `other`', () => {
    expect(operationNameLabel('drop table; --')).toBe('other');
    expect(operationNameLabel(`A${'b'.repeat(64)}`)).toBe('other');
  });

  it('bounds the label values whatever names clients invent', () => {
    const labels = new Set<string>();
    for (let index = 0; index < 1_000; index++) {
      labels.add(operationNameLabel(`Invented${index}`));
    }
    // At most 200 names per process (some may be taken by other tests in this worker), then `other`.
    expect(labels.size).toBeLessThanOrEqual(201);
    expect(labels).toContain('other');
    expect(operationNameLabel('Invented999')).toBe('other');
    // A name admitted before keeps its own label.
    expect(operationNameLabel('DevicesPage')).toBe('DevicesPage');
  });
});
