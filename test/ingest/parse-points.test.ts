import { describe, expect, it } from 'vitest';
import { parsePoints, type ParseContext } from '../../src/ingest/parse-points.js';
import { parseRfc3339 } from '../../src/ingest/rfc3339.js';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const DAY = 24 * 60 * 60 * 1000;
const context: ParseContext = { orgId: 'org', deviceId: 'dev', receivedAt: NOW, maxPoints: 10 };

const json = (value: unknown) => parsePoints(JSON.stringify(value), 'json', context);
const errorsOf = (value: unknown) => {
  const result = json(value);
  if (result.ok || result.kind !== 'invalid') throw new Error(`expected invalid: ${result.ok}`);
  return result.errors;
};
const pointWith = (metrics: Record<string, unknown>) => ({ ts: NOW, metrics });

describe('body shapes', () => {
  it('reads one point and stamps it with the device and the receive time, never the body', () => {
    const body = { ts: NOW - 5_000, metrics: { temperature: 21.5, door: false, mode: 'eco' } };
    expect(json({ ...body, orgId: 'x', deviceId: 'y', receivedAt: 1 })).toMatchObject({
      ok: false,
    });
    expect(json(body)).toEqual({
      ok: true,
      points: [
        {
          orgId: 'org',
          deviceId: 'dev',
          ts: NOW - 5_000,
          metrics: { temperature: 21.5, door: false, mode: 'eco' },
          receivedAt: NOW,
        },
      ],
    });
  });

  it('reads an array of points in order', () => {
    const result = json([pointWith({ a: 1 }), { ts: NOW + 1, metrics: { a: 2 } }]);
    expect(result.ok && result.points.map((p) => [p.ts, p.metrics.a])).toEqual([
      [NOW, 1],
      [NOW + 1, 2],
    ]);
  });

  it('reads NDJSON, one point per non-empty line, CRLF tolerated', () => {
    const body = `{"ts":${NOW},"metrics":{"a":1}}\r\n\n   \n{"metrics":{"a":2}}`;
    const result = parsePoints(body, 'ndjson', context);
    expect(result.ok && result.points.map((p) => [p.ts, p.metrics.a])).toEqual([
      [NOW, 1],
      [NOW, 2],
    ]);
  });

  it('indexes NDJSON errors by line', () => {
    const body = `{"metrics":{"a":1}}\n\n{"metrics":{"a":null}}\nnot json\n`;
    const result = parsePoints(body, 'ndjson', context);
    expect(result).toMatchObject({
      ok: false,
      kind: 'invalid',
      errors: [
        { index: 2, field: 'metrics.a' },
        { index: 3, field: 'point', reason: expect.stringContaining('invalid JSON') },
      ],
    });
  });

  it('refuses invalid JSON, empty bodies and non-point bodies as a whole (index -1)', () => {
    for (const [body, format] of [
      ['{"ts":', 'json'],
      ['', 'json'],
      ['[]', 'json'],
      ['\n\n', 'ndjson'],
    ] as const) {
      const result = parsePoints(body, format, context);
      expect(result).toMatchObject({ ok: false, errors: [{ index: -1, field: 'body' }] });
    }
    expect(errorsOf(42)).toEqual([{ index: 0, field: 'point', reason: expect.any(String) }]);
    expect(errorsOf([null, 'x', [1]]).map((e) => e.index)).toEqual([0, 1, 2]);
  });

  it('refuses more points than allowed, before validating them', () => {
    const many = Array.from({ length: 11 }, () => ({ metrics: { time: 'bad' } }));
    expect(json(many)).toEqual({ ok: false, kind: 'too-many-points', maxPoints: 10 });
    const ndjson = '{"metrics":{"a":1}}\n'.repeat(11);
    expect(parsePoints(ndjson, 'ndjson', context)).toMatchObject({ kind: 'too-many-points' });
    expect(json(many.slice(1)).ok).toBe(false); // exactly 10 is allowed through to validation
    expect(json(many.slice(1))).toMatchObject({ kind: 'invalid' });
  });

  it('refuses any key besides ts and metrics', () => {
    expect(errorsOf({ ts: NOW, metrics: { a: 1 }, deviceId: 'other' })).toEqual([
      { index: 0, field: 'deviceId', reason: expect.stringContaining('unknown field') },
    ]);
  });
});

describe('ts', () => {
  const tsOf = (ts: unknown) => {
    const result = json({ ts, metrics: { a: 1 } });
    return result.ok ? result.points[0]!.ts : undefined;
  };

  it('defaults to the receive time', () => {
    expect(tsOf(undefined)).toBe(NOW);
  });

  it('takes integer epoch ms, from 1970 to 24 h ahead', () => {
    expect(tsOf(0)).toBe(0);
    expect(tsOf(NOW + DAY)).toBe(NOW + DAY);
    for (const bad of [-1, NOW + DAY + 1, 1.5, 1e300, null, true, {}]) {
      expect(tsOf(bad)).toBeUndefined();
      expect(errorsOf({ ts: bad, metrics: { a: 1 } })).toEqual([
        { index: 0, field: 'ts', reason: expect.any(String) },
      ]);
    }
  });

  it('takes RFC 3339 with Z or an offset, truncating below the millisecond', () => {
    expect(tsOf('2026-06-01T12:00:00Z')).toBe(NOW);
    expect(tsOf('2026-06-01t12:00:00.1z')).toBe(NOW + 100);
    expect(tsOf('2026-06-01T14:30:00.123999+02:30')).toBe(NOW + 123);
    expect(tsOf('2026-06-01T11:00:00-01:00')).toBe(NOW);
    expect(tsOf('1970-01-01T00:00:00Z')).toBe(0);
  });

  it('refuses other date formats, impossible dates and out-of-range times', () => {
    for (const bad of [
      '2026-06-01T12:00:00', // no offset: local time is ambiguous
      '2026-06-01',
      'Mon, 01 Jun 2026 12:00:00 GMT',
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-06-01T24:00:00Z',
      '2026-06-01T12:00:00.Z',
      '2026-06-01T12:00:00+0200',
      '1969-12-31T23:59:59.999Z',
      '2026-06-02T12:00:00.001Z', // 24 h + 1 ms ahead
    ]) {
      expect(tsOf(bad), bad).toBeUndefined();
    }
  });
});

describe('metrics', () => {
  it('requires 1 to 100 metrics in an object', () => {
    const hundred = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`m${i}`, i]));
    expect(json(pointWith(hundred)).ok).toBe(true);
    for (const bad of [{}, { ...hundred, m100: 1 }, [1], 'x', null]) {
      expect(errorsOf(pointWith(bad as Record<string, unknown>))).toEqual([
        { index: 0, field: 'metrics', reason: expect.any(String) },
      ]);
    }
    expect(errorsOf({ ts: NOW })).toEqual([{ index: 0, field: 'metrics', reason: 'is required' }]);
  });

  it('checks names: a letter, then letters, digits, _ . - (64 at most), never a reserved one', () => {
    const good = { a: 1, Temp_1: 1, 'env.temp-c': 1, ['x'.repeat(64)]: 1 };
    expect(json(pointWith(good)).ok).toBe(true);
    const bad = { '1abc': 1, _x: 1, 'a b': 1, é: 1, time: 1, ['y'.repeat(65)]: 1 };
    expect(errorsOf(pointWith(bad)).map((e) => e.field)).toEqual([
      'metrics.1abc',
      'metrics._x',
      'metrics.a b',
      'metrics.é',
      'metrics.time',
      `metrics.${'y'.repeat(64)}`,
    ]);
  });

  it('refuses the names the stores keep for themselves (time, org_id, device_id), saying so', () => {
    // org_id and device_id are the tags that scope every InfluxDB query: a field of the same name
    // could make one organization's point answer another's query.
    const reserved = { time: 1, org_id: 'other-org', device_id: 'other-device' };
    expect(errorsOf(pointWith({ ok: 1, ...reserved }))).toEqual([
      { index: 0, field: 'metrics.time', reason: '"time" is a reserved name' },
      { index: 0, field: 'metrics.org_id', reason: '"org_id" is a reserved name' },
      { index: 0, field: 'metrics.device_id', reason: '"device_id" is a reserved name' },
    ]);
    // Only the exact names: similar ones are ordinary metrics.
    expect(json(pointWith({ org_id2: 1, Device_id: 2, timestamp: 3 })).ok).toBe(true);
  });

  it('takes finite numbers, booleans and strings of at most 256 characters', () => {
    const good = { n: -1.5e10, z: 0, b: true, s: 'x'.repeat(256), emoji: '🌡'.repeat(256) };
    expect(json(pointWith(good))).toMatchObject({ ok: true, points: [{ metrics: good }] });
    const bad = { long: 'x'.repeat(257), nil: null, obj: { a: 1 }, arr: [1] };
    expect(errorsOf(pointWith(bad)).map((e) => e.field)).toEqual([
      'metrics.long',
      'metrics.nil',
      'metrics.obj',
      'metrics.arr',
    ]);
    // JSON has no Infinity, but a number too large for a double parses to it.
    const infinite = parsePoints(`{"metrics":{"big":1e400}}`, 'json', context);
    expect(infinite).toMatchObject({ ok: false, errors: [{ field: 'metrics.big' }] });
  });
});

describe('error list', () => {
  it('names every bad item across points, and nothing is returned', () => {
    const result = json([
      pointWith({ ok: 1 }),
      { ts: -5, metrics: { a: 'x'.repeat(300) } },
      pointWith({ ok: 1 }),
      { extra: 1, metrics: {} },
    ]);
    expect(result).toEqual({
      ok: false,
      kind: 'invalid',
      totalErrors: 4,
      errors: [
        { index: 1, field: 'ts', reason: expect.any(String) },
        { index: 1, field: 'metrics.a', reason: expect.any(String) },
        { index: 3, field: 'extra', reason: expect.any(String) },
        { index: 3, field: 'metrics', reason: expect.any(String) },
      ],
    });
  });

  it('lists at most 100 errors and counts the rest', () => {
    const many = Array.from({ length: 150 }, () => ({ metrics: { a: null } }));
    const result = parsePoints(JSON.stringify(many), 'json', { ...context, maxPoints: 1000 });
    expect(result).toMatchObject({ ok: false, totalErrors: 150 });
    expect(!result.ok && result.kind === 'invalid' && result.errors.length).toBe(100);
  });
});

describe('parseRfc3339', () => {
  it('keeps years as written, leap days and leap years included', () => {
    expect(parseRfc3339('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseRfc3339('2100-02-29T00:00:00Z')).toBeUndefined();
    expect(parseRfc3339('0050-01-01T00:00:00Z')).toBe(new Date('0050-01-01T00:00:00Z').getTime());
    expect(parseRfc3339('2026-06-01 12:00:00Z')).toBe(NOW);
  });
});

describe('raw retention', () => {
  const retained: ParseContext = { ...context, rawRetention: { text: '7d', ms: 7 * DAY } };
  const parse = (ts: number) =>
    parsePoints(JSON.stringify({ ts, metrics: { a: 1 } }), 'json', retained);

  it('accepts a point as old as the retention, and refuses an older one naming the limit', () => {
    expect(parse(NOW - 7 * DAY).ok).toBe(true);
    expect(parse(NOW - 7 * DAY - 1)).toEqual({
      ok: false,
      kind: 'invalid',
      errors: [{ index: 0, field: 'ts', reason: 'is older than the raw retention of 7d' }],
      totalErrors: 1,
    });
  });

  it('refuses nothing for its age without a retention', () => {
    expect(json({ ts: 0, metrics: { a: 1 } }).ok).toBe(true);
  });
});
