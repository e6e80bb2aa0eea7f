/**
 * How the InfluxDB store reads the answers of servers other than the 1.x the suite runs on (2.x
 * answers 422 where 1.x says 400, a proxy may answer 413) and of failures the shared server must
 * not be put into (bad credentials, an outage): a stand-in HTTP server gives those answers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxHttp } from '../../src/adapters/telemetry-store/influx-http.js';
import { createInfluxTelemetryStore } from '../../src/adapters/telemetry-store/influx-telemetry-store.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';

/** What the stand-in answers to one /write body; every body it stored is in `stored`. */
type Answer = (lines: string[]) => { status: number; error?: string };

function standIn() {
  let answer: Answer = () => ({ status: 204 });
  const stored: string[] = [];
  const writes: number[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      // The rollups' read-back after a write: nothing stored, nothing to recompute.
      if (req.url?.startsWith('/query')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"results":[{"statement_id":0}]}');
        return;
      }
      const lines = body.split('\n').filter(Boolean);
      writes.push(lines.length);
      const { status, error } = answer(lines);
      if (status === 204) stored.push(...lines);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(error ? JSON.stringify({ error }) : undefined);
    });
  });
  return {
    server,
    stored,
    writes,
    answer: (next: Answer) => {
      answer = next;
      stored.length = 0;
      writes.length = 0;
    },
  };
}

const points = (count: number, bad: readonly number[] = []): TelemetryPoint[] =>
  Array.from({ length: count }, (_, i) => ({
    orgId: 'org',
    deviceId: 'dev',
    ts: 1_000 + i,
    metrics: bad.includes(i) ? { level: 'bad' } : { level: i },
  }));

describe('InfluxDB store: answers of other servers and failures', () => {
  const fake = standIn();
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => fake.server.close(() => resolve())));
  const store = () => createInfluxTelemetryStore({ url, database: 'telemetry' });

  it('bisects a 422 (InfluxDB 2.x) down to the refused lines and rejects only those', async () => {
    fake.answer((lines) =>
      lines.some((line) => line.includes('"bad"'))
        ? { status: 422, error: 'failure writing points to database: field type conflict' }
        : { status: 204 },
    );
    const batch = points(16, [3, 11]);
    const { rejected } = await store().write(batch);
    expect(rejected).toEqual([
      { point: batch[3], reason: expect.stringMatching(/422.*field type conflict/) },
      { point: batch[11], reason: expect.stringMatching(/422.*field type conflict/) },
    ]);
    expect(fake.stored).toHaveLength(14);
  });

  it('splits a body answered 413 until it fits, rejecting nothing that fits', async () => {
    fake.answer((lines) => (lines.length > 3 ? { status: 413 } : { status: 204 }));
    expect(await store().write(points(10))).toEqual({ rejected: [] });
    expect(fake.stored).toHaveLength(10);
    // A single line still too large can never be written: that one is refused for good.
    fake.answer(() => ({ status: 413, error: 'request entity too large' }));
    const [alone] = points(1);
    expect(await store().write([alone!])).toEqual({
      rejected: [{ point: alone, reason: expect.stringMatching(/413/) }],
    });
  });

  it.each([401, 403, 404, 500, 503])(
    'throws on %i (not the points fault: retried, never dead-lettered)',
    async (status) => {
      fake.answer(() => ({ status, error: 'nope' }));
      await expect(store().write(points(4))).rejects.toMatchObject({ status });
      expect(fake.writes).toEqual([4]); // one attempt, no bisecting
    },
  );

  it('throws when InfluxDB does not answer at all', async () => {
    const unreachable = createInfluxTelemetryStore({ url: 'http://127.0.0.1:1', database: 't' });
    await expect(unreachable.write(points(1))).rejects.toThrow();
  });
});

/** A stand-in /query that answers in chunks, `pauseMs` apart, then stalls if `stall`. */
function chunkedQueryServer(chunks: readonly string[], pauseMs: number, stall = false) {
  return http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const next = () => {
        if (sent === chunks.length) {
          if (!stall) res.end();
          return;
        }
        res.write(`${chunks[sent++]}\n`);
        setTimeout(next, pauseMs);
      };
      next();
    });
  });
}

const chunkOf = (values: number[][]) =>
  JSON.stringify({
    results: [
      {
        statement_id: 0,
        series: [{ name: 'm', tags: { device_id: 'd' }, columns: ['time', 'v'], values }],
        partial: true,
      },
    ],
  });

describe('InfluxDB queries: long answers', () => {
  const listen = async (server: http.Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  it('reads an answer for as long as it keeps coming, one series put together from its chunks', async () => {
    const chunks = [1, 2, 3, 4, 5].map((i) => chunkOf([[i, i * 10]]));
    const server = chunkedQueryServer(chunks, 60);
    try {
      const influx = createInfluxHttp({ url: await listen(server), database: 'd', timeoutMs: 150 });
      // 300 ms in all, twice the timeout: it is the silence that is timed, not the answer.
      const [series] = await influx.query('SELECT v FROM m', {});
      expect(series).toEqual([
        {
          name: 'm',
          tags: { device_id: 'd' },
          columns: ['time', 'v'],
          values: [1, 2, 3, 4, 5].map((i) => [i, i * 10]),
        },
      ]);
    } finally {
      server.close();
    }
  });

  it('gives up once InfluxDB sends nothing for the timeout', async () => {
    const server = chunkedQueryServer([chunkOf([[1, 10]])], 10, true);
    try {
      const influx = createInfluxHttp({ url: await listen(server), database: 'd', timeoutMs: 150 });
      await expect(influx.query('SELECT v FROM m', {})).rejects.toThrow(/sent nothing for 150 ms/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
