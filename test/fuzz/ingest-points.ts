/**
 * Points for the ingest fuzzer as raw JSON text, and the bodies made of them: one point (mostly
 * `{ts?, metrics}`, with extra keys, or any JSON at all), arrays of points, NDJSON lines.
 */
import fc from 'fast-check';
import { metricsText, nameText, valueText } from './ingest-values.js';
import { tsText } from './ingest-timestamps.js';

/** Whitespace between tokens, mostly none. */
const whitespace = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n', '  \n ');

/** One point as raw JSON text: mostly `{ts?, metrics}`, with extra keys, or any JSON at all. */
export const pointText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .record({
        ts: fc.option(tsText, { nil: undefined }),
        metrics: fc.option(metricsText, { freq: 10, nil: undefined }),
        extra: fc.option(fc.tuple(nameText, valueText), { freq: 6, nil: undefined }),
        tsFirst: fc.boolean(),
        space: whitespace,
      })
      .map(({ ts, metrics, extra, tsFirst, space }) => {
        const entries = [
          ...(ts === undefined ? [] : [`"ts":${space}${ts}`]),
          ...(metrics === undefined ? [] : [`"metrics":${space}${metrics}`]),
        ];
        if (!tsFirst) entries.reverse();
        if (extra) entries.push(`${extra[0]}:${extra[1]}`);
        return `{${space}${entries.join(`,${space}`)}${space}}`;
      }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'null',
      '[]',
      '{}',
      '"x"',
      '42',
      'true',
      '[{"metrics":{"a":1}}]',
      '{"metrics":{"a":1}',
      '{"metrics":{"a":1}}}',
      '{"metrics":{"a":1},}',
      "{'metrics':{'a':1}}",
      '{metrics:{a:1}}',
      '{"metrics":{"a":1}} {"metrics":{"a":2}}',
      '\ufeff{"metrics":{"a":1}}',
      '{"metrics":{"a":1}}\u0000',
      '{"metrics":{"a":"\u0000"}}',
      '{"metrics":{"a":"\u001f"}}',
      '{"metrics":{"a":"\\x41"}}',
      '{"metrics":{"a":"\\u12"}}',
      '{"metrics":{"a":"\\ud800"}}',
      '{"metrics":{"a":"\\udc00x"}}',
      '{"metrics":{"a":"x\\ud83d"}}',
      '{"metrics":{"a":"\\ude00\\ud83d"}}',
      '{"metrics":{"a\\u0000":1}}',
      '{"metrics":{"\\ud800":1}}',
    ),
  },
);

/** Points as NDJSON: any line separator, blank lines, a trailing newline or not. */
export const ndjsonLines = fc
  .tuple(
    fc.array(pointText, { maxLength: 8 }),
    fc.constantFrom('\n', '\r\n', '\n\n', '\n \t\n'),
    fc.constantFrom('', '\n', '\r\n', '\n\n'),
  )
  .map(([lines, separator, trailer]) => lines.join(separator) + trailer);

/** Points as a JSON array. */
export const arrayText = fc
  .tuple(fc.array(pointText, { maxLength: 8 }), whitespace)
  .map(([points, space]) => `[${space}${points.join(`,${space}`)}${space}]`);
