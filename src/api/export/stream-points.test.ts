import { describe, expect, it } from 'vitest';
import type { RawQuery, TelemetryPoint } from '../../domain/telemetry.js';
import { EXPORT_FORMAT } from './formats.js';
import { streamPoints } from './stream-points.js';

/** A store of `counts[device]` points per device, one a second from 0, paged like raw(). */
function store(counts: Record<string, number>) {
  const calls: RawQuery[] = [];
  return {
    calls,
    async raw(query: RawQuery): Promise<TelemetryPoint[]> {
      calls.push(query);
      const all = Array.from({ length: counts[query.deviceId] ?? 0 }, (_, i) => i * 1000);
      return all
        .filter((ts) => ts >= query.from && ts < query.to)
        .filter((ts) => query.after === undefined || ts > query.after)
        .slice(0, query.limit)
        .map((ts) => ({ orgId: query.orgId, deviceId: query.deviceId, ts, metrics: { v: ts } }));
    },
  };
}

function body(closeAfterWrites = Infinity) {
  const chunks: string[] = [];
  return {
    chunks,
    closed: false,
    async write(chunk: string) {
      chunks.push(chunk);
      if (chunks.length >= closeAfterWrites) this.closed = true;
    },
  };
}

const base = { orgId: 'o', from: 0, to: 1e12, metrics: [], format: EXPORT_FORMAT.ndjson };

describe('streamPoints', () => {
  it('pages through each device in turn, in time order', async () => {
    const telemetry = store({ a: 5, b: 0, c: 2 });
    const sink = body();
    const result = await streamPoints({
      ...base,
      telemetry,
      deviceIds: ['a', 'b', 'c'],
      body: sink,
      pageSize: 2,
    });
    expect(result).toEqual({ points: 7, complete: true });
    const lines = sink.chunks.join('').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line) as { deviceId: string; ts: string })).toEqual(
      [...[0, 1, 2, 3, 4].map((s) => ['a', s]), ...[0, 1].map((s) => ['c', s])].map(
        ([deviceId, s]) =>
          expect.objectContaining({ deviceId, ts: new Date(Number(s) * 1000).toISOString() }),
      ),
    );
    // a: three pages (2, 2, 1); b: one empty page; c: a full page then an empty one.
    expect(telemetry.calls.map((call) => [call.deviceId, call.after])).toEqual([
      ['a', undefined],
      ['a', 1000],
      ['a', 3000],
      ['b', undefined],
      ['c', undefined],
      ['c', 1000],
    ]);
    expect(sink.chunks).toHaveLength(4);
  });

  it('writes the CSV header with the first page, or alone when there is no point', async () => {
    const sink = body();
    await streamPoints({
      ...base,
      format: EXPORT_FORMAT.csv,
      telemetry: store({}),
      deviceIds: ['a'],
      body: sink,
    });
    expect(sink.chunks).toEqual(['device_id,ts,metric,value\r\n']);
    const withPoints = body();
    await streamPoints({
      ...base,
      format: EXPORT_FORMAT.csv,
      telemetry: store({ a: 1 }),
      deviceIds: ['a'],
      body: withPoints,
    });
    expect(withPoints.chunks).toEqual([
      'device_id,ts,metric,value\r\na,1970-01-01T00:00:00.000Z,v,0\r\n',
    ]);
  });

  it('stops reading once the client has gone', async () => {
    const telemetry = store({ a: 100, b: 100 });
    const result = await streamPoints({
      ...base,
      telemetry,
      deviceIds: ['a', 'b'],
      body: body(2),
      pageSize: 10,
    });
    expect(result).toEqual({ points: 20, complete: false });
    expect(telemetry.calls).toHaveLength(2);
  });
});
