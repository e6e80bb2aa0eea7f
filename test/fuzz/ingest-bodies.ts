/**
 * Every kind of ingest body in one arbitrary, each sent mostly with its own media type and
 * sometimes with a wrong one (415, whatever the body).
 */
import fc from 'fast-check';
import { oddString } from './odd-strings.js';
import { nearlyLegal } from './ingest-altered-bodies.js';
import {
  gzipped,
  invalidUtf8,
  malformed,
  manyPoints,
  nearByteLimit,
} from './ingest-edge-bodies.js';
import { legalRequest } from './ingest-legal-bodies.js';
import { arrayText, ndjsonLines, pointText } from './ingest-points.js';
import { ingestRequest, type IngestRequest } from './ingest-requests.js';

const jsonType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'Application/JSON',
      ' application/json ;charset=latin1',
    ),
  },
);
const ndjsonType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/x-ndjson') },
  { weight: 1, arbitrary: fc.constantFrom('APPLICATION/X-NDJSON; charset=utf-8') },
);
/** Sometimes the wrong media type: 415, whatever the body. */
const oddType = fc.constantFrom(
  undefined,
  '',
  'text/plain',
  'application/jsonx',
  'application/ndjson',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'json',
  '*/*',
);

/** Bodies of `body` sent as `format`, now and then with a wrong media type. */
function withMediaType(
  shape: string,
  format: 'json' | 'ndjson',
  body: fc.Arbitrary<string | Buffer>,
): fc.Arbitrary<IngestRequest> {
  return fc
    .tuple(
      body,
      fc.oneof({ weight: 15, arbitrary: format === 'json' ? jsonType : ndjsonType }, oddType),
    )
    .map(([text, contentType]) => ingestRequest(shape, text, contentType));
}

/** Every kind of body. */
export const anyRequest: fc.Arbitrary<IngestRequest> = fc.oneof(
  { weight: 8, arbitrary: nearlyLegal },
  { weight: 2, arbitrary: legalRequest.map((legal) => legal.request) },
  { weight: 6, arbitrary: withMediaType('one point', 'json', pointText) },
  { weight: 5, arbitrary: withMediaType('array', 'json', arrayText) },
  { weight: 5, arbitrary: withMediaType('ndjson', 'ndjson', ndjsonLines) },
  { weight: 1, arbitrary: withMediaType('any JSON', 'json', fc.json({ maxDepth: 3 })) },
  {
    weight: 1,
    arbitrary: withMediaType(
      'degenerate',
      'json',
      fc.constantFrom('', ' ', '\n', '\ufeff', '[]', '[[]]', 'null', '[null]', '0', '""'),
    ),
  },
  { weight: 1, arbitrary: withMediaType('odd text', 'ndjson', oddString) },
  { weight: 2, arbitrary: manyPoints },
  { weight: 3, arbitrary: malformed },
  { weight: 2, arbitrary: invalidUtf8 },
  { weight: 1, arbitrary: nearByteLimit },
  { weight: 1, arbitrary: gzipped },
);
