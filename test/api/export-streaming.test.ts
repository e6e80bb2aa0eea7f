/**
 * The export handler streams in constant memory: a million points written straight into a DuckDB
 * store are exported through the handler (mounted on the product's service server, compression
 * wrapper included) to a client that stalls for seconds and then reads slowly; the whole export
 * arrives, the handler reads no page while the client stalls (it waits for the socket to
 * drain), and the process's JS memory (heap and external buffers) grows by far less than the
 * export's size. Also: a client that goes away
 * stops the reads, and a store that fails before or after the first byte gets a 503 or a
 * truncated body. Integration tier (DuckDB, a listening server: vitest.config.ts `notUnit`).
 */
import { randomUUID } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDuckDbTelemetryStore,
  type DuckDbTelemetryStore,
} from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { createExportHandler, EXPORT_PATH } from '../../src/api/export/handler.js';
import type { Viewer } from '../../src/auth/viewer.js';
import type { RawQuery, TelemetryPoint } from '../../src/domain/telemetry.js';
import { MAX_FLEET_DEVICES } from '../../src/domain/query-limits.js';
import { createServiceServer } from '../../src/http/service-server.js';
import { createLogger } from '../../src/logger.js';
import type { Device, FleetMember } from '../../src/ports/device-repository.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';

const ORG = 'org-export';
const DEVICES = 100;
const POINTS_PER_DEVICE = 10_000;
const TOTAL = DEVICES * POINTS_PER_DEVICE;
const START = Date.UTC(2026, 0, 1);
const RANGE = `from=${new Date(START).toISOString()}&to=${new Date(START + 86_400_000).toISOString()}`;
/** The JS memory (heap + external) an export of any size may add: a few pages' worth, plenty. */
const MEMORY_BOUND_MB = 100;

const viewer: Viewer = {
  kind: 'user',
  subject: 'exporter',
  organizationId: ORG,
  permissions: new Set(['devices:read', 'telemetry:read']),
};

/** gc() for the baseline: V8's flag set at run time, the function read from a fresh context. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const deviceIds: string[] = Array.from({ length: DEVICES }, () => randomUUID()).sort();
let store: DuckDbTelemetryStore;
/** What each request's handler logs when it is done (pino's JSON lines). */
const logs: Record<string, unknown>[] = [];
/** The store the handler reads; a test may swap in a failing one. */
let telemetry: Pick<TelemetryStore, 'raw' | 'reportingDevices'>;
let members: FleetMember[];
let rawCalls = 0;
let baseUrl: string;
let close: () => Promise<void>;

function point(deviceId: string, i: number): TelemetryPoint {
  return {
    orgId: ORG,
    deviceId,
    ts: START + i * 1_000,
    metrics: { v: i, note: `reading ${i} of a device with a comma, and "quotes"` },
  };
}

beforeAll(async () => {
  store = await createDuckDbTelemetryStore({ path: ':memory:' });
  for (const deviceId of deviceIds) {
    for (let first = 0; first < POINTS_PER_DEVICE; first += 5_000) {
      const batch = Array.from({ length: 5_000 }, (_, i) => point(deviceId, first + i));
      await store.write(batch);
    }
  }
  members = deviceIds.map((id) => ({ id, type: 'meter', labels: {} }));
  telemetry = store;
  const counted: Pick<TelemetryStore, 'raw' | 'reportingDevices'> = {
    raw: (query: RawQuery) => {
      rawCalls++;
      return telemetry.raw(query);
    },
    reportingDevices: (...args) => telemetry.reportingDevices(...args),
  };
  const handler = createExportHandler({
    devices: {
      findDevices: async (_org, ids) =>
        ids.map((id) => (deviceIds.includes(id) ? ({ id } as Device) : null)),
      listFleet: async (_org, _filter, limit) => members.slice(0, limit),
      getRetention: async () => ({}),
    },
    telemetry: counted,
    authenticate: async () => viewer,
    logger: createLogger('info', 'export-test', {
      write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>),
    }),
  });
  const server = createServiceServer({
    routes: { [EXPORT_PATH]: handler },
    readiness: [],
    logger: createLogger('silent', 'export-test'),
  });
  const address: AddressInfo = await server.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${address.port}`;
  close = () => server.close(1_000);
}, 300_000);

afterAll(async () => {
  await close?.();
  await store?.close();
});

function get(query: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${EXPORT_PATH}?${query}`, {
      headers: { authorization: 'Bearer any', 'accept-encoding': 'identity' },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jsMemory = () => {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

/** The handler's closing log line for the request that ends after `count` earlier ones. */
async function nextLog(count: number) {
  for (let waited = 0; logs.length <= count; waited += 20) {
    if (waited > 10_000) throw new Error('the handler did not log its end');
    await sleep(20);
  }
  return logs[count]!;
}

describe('a million points', () => {
  it('stream through a slow reader in constant memory', async () => {
    const logged = logs.length;
    gc();
    const baseline = jsMemory();
    const rssBaseline = process.memoryUsage().rss;
    let peak = baseline;
    let rssPeak = rssBaseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, jsMemory());
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 20);
    const started = Date.now();
    let bytes = 0;
    let lines = 0;
    let firstLine = '';
    let unread = 0;
    /** raw() calls while the reader stalls, once the buffers between it and the handler are full. */
    let readsWhileStalled = -1;
    try {
      const response = await get(`${RANGE}&format=ndjson`);
      expect(response.statusCode).toBe(200);
      for await (const chunk of response as AsyncIterable<Buffer>) {
        if (!firstLine) firstLine = chunk.subarray(0, chunk.indexOf(10)).toString();
        const before = bytes;
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
        if (before < 1e6 && bytes >= 1e6) {
          // The reader stops: the buffers between it and the handler fill up. Once they are full
          // (no page read for half a second; a busy machine takes longer to get there), the
          // handler must read no page for as long as the reader stays stopped.
          for (let settle = 0, calls = -1; settle < 40 && calls !== rawCalls; settle++) {
            calls = rawCalls;
            await sleep(500);
          }
          const calls = rawCalls;
          await sleep(1_500);
          readsWhileStalled = rawCalls - calls;
        }
        // Then slow-ish: a pause after every MB.
        unread += chunk.length;
        if (unread >= 1e6) {
          unread = 0;
          await sleep(10);
        }
      }
      expect(response.complete).toBe(true);
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - baseline;
    const seconds = (Date.now() - started) / 1000;
    const summary = await nextLog(logged);
    console.info(
      `export of ${lines} points: ${mb(bytes)} MB in ${seconds} s (the reader stalled); JS heap + external grew at most ${mb(growth)} MB (RSS ${mb(rssPeak - rssBaseline)} MB); the handler waited for drain ${String(summary.drainWaits)} times, read ${readsWhileStalled} pages while the reader stalled`,
    );

    expect(lines).toBe(TOTAL);
    expect(JSON.parse(firstLine)).toEqual({
      deviceId: deviceIds[0],
      ts: new Date(START).toISOString(),
      metrics: { note: point(deviceIds[0]!, 0).metrics.note, v: 0 },
    });
    expect(summary).toMatchObject({ points: TOTAL, complete: true, msg: 'export sent' });
    // Backpressure: while the reader stalled, the handler read no page (it waited for drain).
    expect(readsWhileStalled).toBe(0);
    expect(summary.drainWaits).toBeGreaterThan(0);
    // Holding the export (or its points) would take more than the bound: it is far larger.
    expect(bytes).toBeGreaterThan(MEMORY_BOUND_MB * 1e6);
    expect(mb(growth)).toBeLessThan(MEMORY_BOUND_MB);
  }, 600_000);

  it('stop being read when the client goes away', async () => {
    const logged = logs.length;
    const callsBefore = rawCalls;
    const response = await get(`${RANGE}&format=csv`);
    let bytes = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > 2_000_000) break; // leaving the loop destroys the response: the client hangs up
    }
    const summary = await nextLog(logged);
    expect(summary).toMatchObject({ complete: false, msg: 'export stopped: the client went away' });
    expect(summary.points).toBeLessThan(TOTAL / 10);
    const calls = rawCalls - callsBefore;
    expect(calls).toBeLessThan(TOTAL / 1_000 / 10);
    await sleep(200);
    expect(rawCalls - callsBefore).toBe(calls);
  }, 120_000);
});

describe('what the client sees when something fails', () => {
  /** The real store, failing from the `failAt`th raw() call on. */
  function failingFrom(failAt: number) {
    let calls = 0;
    telemetry = {
      raw: (query) =>
        ++calls >= failAt ? Promise.reject(new Error('store down')) : store.raw(query),
      reportingDevices: (...args) => store.reportingDevices(...args),
    };
  }
  afterAll(() => {
    telemetry = store;
  });

  it('503 when the store fails before the first byte', async () => {
    failingFrom(1);
    const response = await get(`deviceId=${deviceIds[0]}&${RANGE}`);
    let text = '';
    for await (const chunk of response as AsyncIterable<Buffer>) text += chunk.toString();
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(JSON.parse(text)).toEqual({ code: 'UNAVAILABLE', message: expect.any(String) });
  });

  it('a truncated body (no last chunk) when it fails after the first byte', async () => {
    failingFrom(3);
    const response = await get(`deviceId=${deviceIds[0]}&${RANGE}&format=ndjson`);
    expect(response.statusCode).toBe(200);
    let lines = 0;
    const ended = await new Promise<string>((resolve) => {
      response.on('data', (chunk: Buffer) => {
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
      });
      response.on('end', () => resolve('end'));
      response.on('error', (error) => resolve(`error: ${error.message}`));
    });
    expect(ended).toBe('error: aborted');
    expect(response.complete).toBe(false);
    expect(lines).toBe(2_000);
  });
});

describe('a filter of too many devices', () => {
  it('is refused with 400 naming the filter', async () => {
    const saved = members;
    members = Array.from({ length: MAX_FLEET_DEVICES + 1 }, (_, i) => ({
      id: `d${String(i).padStart(6, '0')}`,
      type: 'meter',
      labels: {},
    }));
    try {
      const response = await get(RANGE);
      let text = '';
      for await (const chunk of response as AsyncIterable<Buffer>) text += chunk.toString();
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(text)).toEqual({
        code: 'BAD_REQUEST',
        message: expect.stringContaining(`more than ${MAX_FLEET_DEVICES} devices`),
        errors: [{ parameter: 'filter', reason: expect.any(String) }],
      });
    } finally {
      members = saved;
    }
  });
});
