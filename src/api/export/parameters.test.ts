import { describe, expect, it } from 'vitest';
import { MAX_METRICS } from '../../domain/query-limits.js';
import { parseExportParameters, type ParameterProblem } from './parameters.js';

const RANGE = 'from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2026, 0, 2);

function parse(query: string) {
  return parseExportParameters(new URLSearchParams(query));
}

function problems(query: string): ParameterProblem[] {
  const parsed = parse(query);
  if (parsed.ok) throw new Error(`accepted: ${query}`);
  return parsed.problems;
}

describe('export parameters', () => {
  it('reads a device export', () => {
    expect(parse(`${RANGE}&deviceId=abc&format=NDJSON&metrics=b,a&metrics=b`)).toEqual({
      ok: true,
      parameters: {
        from: FROM,
        to: TO,
        format: 'ndjson',
        metrics: ['b', 'a'],
        devices: { kind: 'device', deviceId: 'abc' },
      },
    });
  });

  it('reads a filter, and no filter as every device', () => {
    expect(
      parse(`${RANGE}&type=meter&label=site:north&label=floor:2:b&search=x&status=active`),
    ).toMatchObject({
      ok: true,
      parameters: {
        metrics: [],
        devices: {
          kind: 'filter',
          filter: {
            type: 'meter',
            status: 'ACTIVE',
            search: 'x',
            labels: { site: 'north', floor: '2:b' },
          },
        },
      },
    });
    expect(parse(RANGE)).toMatchObject({
      ok: true,
      parameters: { devices: { kind: 'filter', filter: {} } },
    });
  });

  it('reads an offset whose "+" was sent unencoded (a space in a query string)', () => {
    expect(parse('from=2026-01-01T01:00:00+01:00&to=2026-01-02T00:00:00.5%2B00:00')).toMatchObject({
      ok: true,
      parameters: { from: FROM, to: TO + 500 },
    });
  });

  it('lists every bad parameter by name', () => {
    expect(
      problems('from=yesterday&format=xml&metrics=ok,9bad,time&bogus=1&deviceId=a&deviceId=b'),
    ).toEqual([
      { parameter: 'bogus', reason: expect.stringContaining('unknown parameter') },
      { parameter: 'deviceId', reason: 'is given more than once' },
      { parameter: 'from', reason: expect.stringContaining('RFC 3339') },
      { parameter: 'to', reason: 'is required' },
      { parameter: 'format', reason: 'must be csv or ndjson' },
      { parameter: 'metrics', reason: expect.stringContaining('"9bad"') },
      { parameter: 'metrics', reason: expect.stringContaining('reserved') },
    ]);
  });

  it('refuses from at or after to', () => {
    expect(problems('from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z')).toEqual([
      { parameter: 'from', reason: 'must be before to' },
    ]);
  });

  it('refuses a device id with a filter, and an empty one', () => {
    expect(problems(`${RANGE}&deviceId=a&type=meter&label=a:b`)).toEqual([
      { parameter: 'deviceId', reason: expect.stringContaining('type, label given') },
    ]);
    expect(problems(`${RANGE}&deviceId=`)).toEqual([
      { parameter: 'deviceId', reason: 'must not be empty' },
    ]);
  });

  it("applies the devices filter's rules", () => {
    expect(problems(`${RANGE}&label=nocolon`)[0]).toMatchObject({ parameter: 'label' });
    expect(problems(`${RANGE}&label=bad key:v`)[0]!.reason).toContain('label key');
    expect(problems(`${RANGE}&label=a:1&label=a:2`)[0]!.reason).toContain('appears twice');
    expect(problems(`${RANGE}&label=a:${'x'.repeat(257)}`)[0]!.reason).toContain('too long');
    expect(problems(`${RANGE}&status=gone`)).toEqual([
      { parameter: 'status', reason: 'must be ACTIVE or DISABLED' },
    ]);
    expect(problems(`${RANGE}&type=a%00b`)).toEqual([
      { parameter: 'type', reason: 'must not contain NUL (U+0000)' },
    ]);
  });

  it('refuses more metrics than a telemetry read takes', () => {
    const many = Array.from({ length: MAX_METRICS + 1 }, (_, i) => `m${i}`).join(',');
    expect(problems(`${RANGE}&metrics=${many}`)).toEqual([
      {
        parameter: 'metrics',
        reason: `names at most ${MAX_METRICS} metrics, got ${MAX_METRICS + 1}`,
      },
    ]);
  });
});
