import { describe, expect, it } from 'vitest';
import { negotiateFormat } from './accept.js';

describe('export format from Accept', () => {
  it.each([
    [undefined, 'csv'],
    ['', 'csv'],
    ['*/*', 'csv'],
    ['text/csv', 'csv'],
    ['application/x-ndjson', 'ndjson'],
    ['application/*', 'ndjson'],
    ['text/*;q=0.5, application/x-ndjson;q=0.6', 'ndjson'],
    ['application/json, text/csv; charset=utf-8', 'csv'],
    ['*/*;q=0.1, text/csv;q=0', 'ndjson'],
    ['TEXT/CSV', 'csv'],
    ['text/csv;q=0.9,application/x-ndjson;q=0.9', 'csv'],
  ] as const)('%j → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });

  it.each([
    'application/json',
    'text/html, application/xml;q=0.9',
    'text/csv;q=0, application/x-ndjson;q=0',
    '*/*;q=0',
    'garbage',
    'text/csv;q=2',
  ])('%j allows neither', (accept) => {
    expect(negotiateFormat(accept)).toBeUndefined();
  });
});
