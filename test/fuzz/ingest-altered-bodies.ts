/**
 * Well-formed ingest bodies with one thing changed: to anything at all (a value, a name, ts, a
 * key), or one string value made unstorable (NUL or a lone surrogate), which the server must
 * refuse naming the point and field.
 */
import fc from 'fast-check';
import { quoted, type QuoteMode } from './string-escapes.js';
import { bodyOf, format, legalPoint, pointJson, type LegalPoint } from './ingest-legal-bodies.js';
import { ingestRequest, printedRequest } from './ingest-requests.js';
import { tsText } from './ingest-timestamps.js';
import { nameText, valueText } from './ingest-values.js';

/** A well-formed body with one thing changed to anything at all: a value, a name, ts, a key. */
export const nearlyLegal = fc
  .tuple(
    fc.array(legalPoint, { minLength: 1, maxLength: 4 }),
    fc.nat(),
    fc.constantFrom('value', 'name', 'ts', 'key'),
    valueText,
    nameText,
    tsText,
    format,
  )
  .map(([points, at, what, value, name, ts, pointsFormat]) => {
    const index = at % points.length;
    const texts = points.map((point, i) => {
      if (i !== index) return pointJson(point);
      const metrics = [...point.metrics];
      const [first] = metrics[0]!;
      if (what === 'value') metrics[0] = [first, value];
      if (what === 'ts') return pointJson({ ...point, ts });
      const text = pointJson({ ...point, metrics });
      if (what === 'name') return text.replace(/"metrics":\{"[^"]*"/, `"metrics":{${name}`);
      if (what === 'key') return `${text.slice(0, -1)},${name}:${value}}`;
      return text;
    });
    const request = bodyOf(texts, pointsFormat);
    return ingestRequest(
      `nearly legal (${what} of point ${index}): ${request.shape}`,
      request.body,
      request.contentType,
    );
  });

/** NUL or a lone surrogate, at the start, in the middle or at the end of a string. */
const unstorable = fc
  .tuple(
    fc.string({ maxLength: 5 }),
    fc.constantFrom(
      '\u0000',
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      '\ud83d',
      '\ude00',
      '\ude00\ud83d',
    ),
    fc.string({ maxLength: 5 }),
    fc.constantFrom('start', 'middle', 'end'),
  )
  .map(([before, bad, after, where]) =>
    where === 'start' ? bad + after : where === 'end' ? before + bad : before + bad + after,
  );

/**
 * A well-formed body with the first metric of one point made an unstorable string, and where the
 * 400 must point: the point's index and `metrics.<name>`. The string is escaped (`raw` would send
 * a lone surrogate as U+FFFD, which is storable).
 */
export const unstorableRequest = fc
  .tuple(
    fc.array(legalPoint, { minLength: 1, maxLength: 4 }),
    fc.nat(),
    unstorable,
    fc.constantFrom<QuoteMode>('stringify', 'escaped'),
    format,
  )
  .map(([points, at, text, mode, pointsFormat]) => {
    const index = at % points.length;
    const target = points[index]!;
    const [name] = target.metrics[0]!;
    const bad: LegalPoint = {
      ...target,
      metrics: [[name, quoted(text, mode)], ...target.metrics.slice(1)],
    };
    const texts = points.map((point, i) => pointJson(i === index ? bad : point));
    return printedRequest({
      request: bodyOf(texts, pointsFormat),
      index,
      field: `metrics.${name}`,
      text,
    });
  });
