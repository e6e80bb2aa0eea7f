/**
 * Well-formed ingest bodies, for the oracle properties: legal names, values and timestamps
 * written every way JSON allows, so that the server must accept every point.
 */
import fc from 'fast-check';
import { quoted, type QuoteMode } from './string-escapes.js';
import { MAX_METRICS, MAX_STRING } from './ingest-limits.js';
import { ingestRequest, printedRequest, type IngestRequest } from './ingest-requests.js';
import { legalTsText } from './ingest-timestamps.js';
import { quoteMode, validName } from './ingest-values.js';

/** Characters a string value may hold: printable, astral, RTL, BOM, combining marks. */
const legalCharacter = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '😀',
      '👨‍👩‍👧',
      '𝔘',
      '\u{10fffd}',
      '中',
      'ع',
      'é',
      'e\u0301',
      '\u200e',
      '\u200f',
      '\u202e',
      '\ufeff',
      '\u00a0',
      '\u2028',
      '"',
      '\\',
      '\ufffd',
    ),
  },
);

/** Legal strings, some at the length limit (in characters, astral ones counting one). */
const legalString = fc.oneof(
  fc.array(legalCharacter, { maxLength: 20 }).map((parts) => parts.join('')),
  fc
    .tuple(
      fc.constantFrom('a', '😀', '中', '\u200f'),
      fc.integer({ min: MAX_STRING - 3, max: MAX_STRING }),
    )
    .map(([unit, count]) => unit.repeat(count)),
);

/** A legal value as raw JSON text: finite numbers in every spelling, booleans, strings. */
const legalValueText: fc.Arbitrary<string> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => value.toExponential()),
  fc.constantFrom(
    '0',
    '-0',
    '1e308',
    '-1e308',
    '5e-324',
    '1e-400',
    '9007199254740993',
    '123456789012345678901234567890',
    '2.5E+3',
  ),
  fc.boolean().map(String),
  fc.tuple(legalString, quoteMode).map(([text, mode]) => quoted(text, mode)),
);

/** A legal point: its ts (if any) and metrics as raw JSON text, names unquoted. */
export interface LegalPoint {
  ts: string | undefined;
  metrics: [string, string][];
}

export const legalPoint: fc.Arbitrary<LegalPoint> = fc.record({
  ts: fc.option(legalTsText, { nil: undefined }),
  metrics: fc.oneof(
    {
      weight: 9,
      arbitrary: fc.uniqueArray(fc.tuple(validName, legalValueText), {
        minLength: 1,
        maxLength: 8,
        selector: ([name]) => name,
      }),
    },
    {
      // Up to the 100 limit, each metric with the same short value (the body stays small).
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: MAX_METRICS - 3, max: MAX_METRICS }),
          fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
            fc.constantFrom('true', '"😀\u200f"', '"\ufeff"', '-0'),
          ),
        )
        .map(([count, value]) =>
          Array.from({ length: count }, (_, i): [string, string] => [`m${i}`, value]),
        ),
    },
  ),
});

export function pointJson(point: LegalPoint, nameMode: QuoteMode = 'stringify'): string {
  const metrics = point.metrics.map(([name, value]) => `${quoted(name, nameMode)}:${value}`);
  const ts = point.ts === undefined ? '' : `"ts":${point.ts},`;
  return `{${ts}"metrics":{${metrics.join(',')}}}`;
}

/** How points are sent: one alone, a JSON array, NDJSON. */
type Format = 'one' | 'array' | 'ndjson';

export const format = fc.constantFrom<Format>('one', 'array', 'ndjson');

/** A body of the points (JSON text each) in `format`; several points are never sent as one. */
export function bodyOf(points: string[], format: Format): IngestRequest {
  if (format === 'one' && points.length === 1) {
    return ingestRequest('one point', points[0]!, 'application/json');
  }
  if (format === 'ndjson') {
    return ingestRequest('ndjson', points.join('\n'), 'application/x-ndjson');
  }
  return ingestRequest('array', `[${points.join(',')}]`, 'application/json');
}

/** A well-formed body and the number of points it holds. */
export const legalRequest = fc
  .tuple(fc.array(legalPoint, { minLength: 1, maxLength: 5 }), format, quoteMode)
  .map(([points, pointsFormat, nameMode]) =>
    printedRequest({
      request: bodyOf(
        points.map((point) => pointJson(point, nameMode)),
        pointsFormat,
      ),
      points: points.length,
    }),
  );
