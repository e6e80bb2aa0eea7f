import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import { EXPORT_FORMAT } from './formats.js';

const TS = Date.UTC(2026, 0, 1, 12);
const points: TelemetryPoint[] = [
  {
    orgId: 'o',
    deviceId: 'd1',
    ts: TS,
    metrics: { door: false, note: 'a,b "q"\r\nnext', t: 21.5 },
  },
  { orgId: 'o', deviceId: 'd1', ts: TS + 1, metrics: { on: true, tiny: 5e-324, big: -1.5e300 } },
];

describe('export formats', () => {
  it('CSV: a header, one row per value, RFC 4180 quoting, booleans as words', () => {
    const { preamble, encode } = EXPORT_FORMAT.csv;
    const text = preamble + encode(points);
    expect(text.startsWith('device_id,ts,metric,value\r\n')).toBe(true);
    expect(text).toContain('d1,2026-01-01T12:00:00.000Z,note,"a,b ""q""\r\nnext"\r\n');
    expect(parse(text)).toEqual([
      ['device_id', 'ts', 'metric', 'value'],
      ['d1', '2026-01-01T12:00:00.000Z', 'door', 'false'],
      ['d1', '2026-01-01T12:00:00.000Z', 'note', 'a,b "q"\r\nnext'],
      ['d1', '2026-01-01T12:00:00.000Z', 't', '21.5'],
      ['d1', '2026-01-01T12:00:00.001Z', 'on', 'true'],
      ['d1', '2026-01-01T12:00:00.001Z', 'tiny', '5e-324'],
      ['d1', '2026-01-01T12:00:00.001Z', 'big', '-1.5e+300'],
    ]);
    expect(encode([])).toBe('');
  });

  it('NDJSON: one point per line, values as sent', () => {
    const { preamble, encode } = EXPORT_FORMAT.ndjson;
    const lines = (preamble + encode(points)).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines.slice(0, 2).map((line) => JSON.parse(line) as unknown)).toEqual([
      { deviceId: 'd1', ts: '2026-01-01T12:00:00.000Z', metrics: points[0]!.metrics },
      { deviceId: 'd1', ts: '2026-01-01T12:00:00.001Z', metrics: points[1]!.metrics },
    ]);
  });
});
