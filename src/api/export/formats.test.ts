import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import { EXPORT_FORMAT } from './formats.js';

const TS = Date.UTC(2026, 0, 1, 12);
/** Any line break outside quotes ends a row, as the strictest CSV readers take it. */
const STRICT = { record_delimiter: ['\r\n', '\n', '\r'] };
const points: TelemetryPoint[] = [
  {
    orgId: 'o',
    deviceId: 'd1',
    ts: TS,
    metrics: { door: false, note: 'a,b "q"\r\nnext', t: 21.5 },
  },
  { orgId: 'o', deviceId: 'd1', ts: TS + 1, metrics: { on: true, tiny: 5e-324, big: -1.5e300 } },
  { orgId: 'o', deviceId: 'd1', ts: TS + 2, metrics: { cr: 'a\rb', lf: 'a\nb', sep: '\u2028' } },
];

describe('export formats', () => {
  it('CSV: a header, one row per value, RFC 4180 quoting, booleans as words', () => {
    const { preamble, encode } = EXPORT_FORMAT.csv;
    const text = preamble + encode(points);
    expect(text.startsWith('device_id,ts,metric,value\r\n')).toBe(true);
    expect(text).toContain('d1,2026-01-01T12:00:00.000Z,note,"a,b ""q""\r\nnext"\r\n');
    expect(parse(text, STRICT)).toEqual([
      ['device_id', 'ts', 'metric', 'value'],
      ['d1', '2026-01-01T12:00:00.000Z', 'door', 'false'],
      ['d1', '2026-01-01T12:00:00.000Z', 'note', 'a,b "q"\r\nnext'],
      ['d1', '2026-01-01T12:00:00.000Z', 't', '21.5'],
      ['d1', '2026-01-01T12:00:00.001Z', 'on', 'true'],
      ['d1', '2026-01-01T12:00:00.001Z', 'tiny', '5e-324'],
      ['d1', '2026-01-01T12:00:00.001Z', 'big', '-1.5e+300'],
      ['d1', '2026-01-01T12:00:00.002Z', 'cr', 'a\rb'],
      ['d1', '2026-01-01T12:00:00.002Z', 'lf', 'a\nb'],
      ['d1', '2026-01-01T12:00:00.002Z', 'sep', '\u2028'],
    ]);
    // A lone CR or LF is quoted like a CRLF (csv-stringify alone quotes only the delimiter).
    expect(text).toContain('d1,2026-01-01T12:00:00.002Z,lf,"a\nb"\r\n');
    expect(encode([])).toBe('');
  });

  it('NDJSON: one point per line, values as sent', () => {
    const { preamble, encode } = EXPORT_FORMAT.ndjson;
    const lines = (preamble + encode(points)).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(lines.slice(0, 3).map((line) => JSON.parse(line) as unknown)).toEqual(
      points.map((point) => ({
        deviceId: 'd1',
        ts: new Date(point.ts).toISOString(),
        metrics: point.metrics,
      })),
    );
  });
});
