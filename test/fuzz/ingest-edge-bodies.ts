/**
 * Ingest bodies at the edges of what the parser takes: around the points and byte limits,
 * malformed (cut short, junk spliced in), not UTF-8, and compressed (gzip, a gzip bomb, bytes
 * that only claim to be gzip).
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { spliced } from './odd-strings.js';
import { visible } from './string-escapes.js';
import { MAX_BODY_BYTES, MAX_POINTS } from './ingest-limits.js';
import { arrayText, ndjsonLines, pointText } from './ingest-points.js';
import { ingestRequest } from './ingest-requests.js';
import { DAY } from './ingest-timestamps.js';
import { metricsText } from './ingest-values.js';

/** Around the points limit: one point repeated, each copy with its own ts or none. */
export const manyPoints = fc
  .tuple(
    fc.integer({ min: 1, max: MAX_POINTS + 20 }),
    // Small enough to repeat (a deeply nested value copied 300 times would not fit a string).
    metricsText.map((metrics) => (metrics.length > 2_000 ? '{"big":1}' : metrics)),
    fc.boolean(),
    fc.constantFrom<'json' | 'ndjson'>('json', 'ndjson'),
  )
  .map(([count, metrics, withTs, format]) => {
    const base = Date.now() - DAY;
    const points = Array.from({ length: count }, (_, i) =>
      withTs ? `{"ts":${base + i},"metrics":${metrics}}` : `{"metrics":${metrics}}`,
    );
    return format === 'json'
      ? ingestRequest(`${count} points (json)`, `[${points.join(',')}]`, 'application/json')
      : ingestRequest(`${count} points (ndjson)`, points.join('\n'), 'application/x-ndjson');
  });

/** A well-formed body cut short, or with junk spliced in. */
export const malformed = fc
  .tuple(
    fc.oneof(arrayText, pointText, ndjsonLines),
    fc.nat(),
    fc.constantFrom('', ',', ']', '}', '"', '\\', '\u0000', 'NaN', '\ufeff', '{'),
    fc.boolean(),
  )
  .map(([text, at, junk, ndjson]) =>
    ingestRequest(
      'malformed',
      spliced(text, text.length === 0 ? 0 : at % text.length, junk),
      ndjson ? 'application/x-ndjson' : 'application/json',
    ),
  );

/** Bytes that are not UTF-8: random, or a body with invalid sequences spliced in. */
export const invalidUtf8 = fc.oneof(
  fc
    .tuple(fc.uint8Array({ maxLength: 256 }), fc.boolean())
    .map(([bytes, ndjson]) =>
      ingestRequest(
        'random bytes',
        Buffer.from(bytes),
        ndjson ? 'application/x-ndjson' : 'application/json',
      ),
    ),
  fc
    .tuple(
      fc.constantFrom(
        [0xff],
        [0xc0, 0x80],
        [0xc3],
        [0xe2, 0x82],
        [0xed, 0xa0, 0x80],
        [0xed, 0xbf, 0xbf],
        [0xf4, 0x90, 0x80, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xfe, 0xff],
        [0xef, 0xbb, 0xbf],
      ),
      fc.nat(),
      fc.boolean(),
    )
    .map(([bytes, at, insideString]) => {
      const prefix = '{"metrics":{"label":"';
      const suffix = '"}}';
      const body = insideString
        ? Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)])
        : (() => {
            const text = Buffer.from(`${prefix}x${suffix}`);
            const cut = at % (text.length + 1);
            return Buffer.concat([text.subarray(0, cut), Buffer.from(bytes), text.subarray(cut)]);
          })();
      return ingestRequest('invalid UTF-8', body, 'application/json');
    }),
);

/** Bodies around the byte limit: a valid point padded with whitespace, or a huge string. */
export const nearByteLimit = fc
  .tuple(fc.integer({ min: -200, max: 200 }), fc.boolean(), fc.boolean())
  .map(([delta, padding, ndjson]) => {
    const point = '{"metrics":{"padded":1}}';
    const size = MAX_BODY_BYTES + delta;
    const text = padding
      ? point + ' '.repeat(Math.max(0, size - point.length))
      : `{"metrics":{"big":"${'x'.repeat(Math.max(0, size - 21))}"}}`;
    return ingestRequest(
      `${Buffer.byteLength(text)} bytes`,
      text,
      ndjson ? 'application/x-ndjson' : 'application/json',
    );
  });

/** Compressed bodies: a gzip of any body, a gzip bomb past the limit, or bytes that are not gzip. */
export const gzipped = fc.oneof(
  fc
    .tuple(fc.oneof(arrayText, pointText), fc.constantFrom('gzip', 'x-gzip', 'GZIP'))
    .map(([text, coding]) =>
      ingestRequest(
        `gzip: ${visible(text, 200)}`,
        gzipSync(Buffer.from(text)),
        'application/json',
        coding,
      ),
    ),
  fc
    .constantFrom(MAX_BODY_BYTES - 10, MAX_BODY_BYTES + 10, 5_000_000)
    .map((size) =>
      ingestRequest(
        `gzip of ${size} bytes`,
        gzipSync(Buffer.from(`{"metrics":{"a":1}}${' '.repeat(size - 19)}`)),
        'application/json',
        'gzip',
      ),
    ),
  fc
    .tuple(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x'),
    )
    .map(([bytes, coding]) =>
      ingestRequest('not gzip', Buffer.from(bytes), 'application/json', coding),
    ),
);
