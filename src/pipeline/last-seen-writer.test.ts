/**
 * lastSeenAt write-behind on a stand-in repository and fake timers: one write per interval for
 * any number of points, each device's newest time, never in the future, nothing lost on failure.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TelemetryPoint } from '../domain/telemetry.js';
import { createLogger } from '../logger.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import { createLastSeenWriter } from './last-seen-writer.js';

const FLUSH_MS = 500;
const NOW = Date.UTC(2026, 5, 1, 12);

const point = (deviceId: string, ts: number): TelemetryPoint => ({
  orgId: 'org-1',
  deviceId,
  ts,
  metrics: { temperature: 1 },
});

function setUp() {
  const writes: Map<string, number>[] = [];
  const recordLastSeen = vi.fn(async (lastSeen: ReadonlyMap<string, number>) => {
    writes.push(new Map(lastSeen));
  });
  const writer = createLastSeenWriter({
    devices: { recordLastSeen } as unknown as DeviceRepository,
    flushIntervalMs: FLUSH_MS,
    logger: createLogger('silent', 'last-seen-test'),
  });
  return { writer, recordLastSeen, writes };
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('lastSeenAt write-behind', () => {
  it('calls recordLastSeen once per flush interval for thousands of points', async () => {
    const { writer, recordLastSeen, writes } = setUp();
    for (let i = 0; i < 10_000; i++) writer.note([point(`device-${i % 20}`, NOW - 20_000 + i)]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS - 1);
    expect(recordLastSeen).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(recordLastSeen).toHaveBeenCalledTimes(1);
    expect(writes[0]!.size).toBe(20);
    // device-k's newest point is i = 9980 + k.
    expect(writes[0]!.get('device-0')).toBe(NOW - 20_000 + 9_980);
    expect(writes[0]!.get('device-19')).toBe(NOW - 20_000 + 9_999);

    for (let i = 0; i < 1_000; i++) writer.note([point('device-3', NOW - 5_000 + i)]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(recordLastSeen).toHaveBeenCalledTimes(2);
    expect([...writes[1]!]).toEqual([['device-3', NOW - 5_000 + 999]]);
    // Idle intervals write nothing.
    await vi.advanceTimersByTimeAsync(10 * FLUSH_MS);
    expect(recordLastSeen).toHaveBeenCalledTimes(2);
    await writer.stop();
  });

  it("never moves lastSeenAt past the server's clock, and never back", async () => {
    const { writer, writes } = setUp();
    writer.note([point('ahead', NOW + 3_600_000), point('behind', NOW - 1_000)]);
    writer.note([point('behind', NOW - 50_000)]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(Object.fromEntries(writes[0]!)).toEqual({ ahead: NOW, behind: NOW - 1_000 });
    await writer.stop();
  });

  it('keeps the marks of a failed write for the next interval', async () => {
    const { writer, recordLastSeen, writes } = setUp();
    recordLastSeen.mockRejectedValueOnce(new Error('database away'));
    writer.note([point('a', NOW - 3_000), point('b', NOW - 2_000)]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(recordLastSeen).toHaveBeenCalledTimes(1);
    expect(writes).toHaveLength(0);

    writer.note([point('a', NOW - 1_000)]);
    await vi.advanceTimersByTimeAsync(FLUSH_MS);
    expect(recordLastSeen).toHaveBeenCalledTimes(2);
    expect(Object.fromEntries(writes[0]!)).toEqual({ a: NOW - 1_000, b: NOW - 2_000 });
    await writer.stop();
  });

  it('writes what is pending when stopped, then no more', async () => {
    const { writer, recordLastSeen, writes } = setUp();
    writer.note([point('a', NOW - 1)]);
    await writer.stop();
    expect(recordLastSeen).toHaveBeenCalledTimes(1);
    expect([...writes[0]!]).toEqual([['a', NOW - 1]]);
    await vi.advanceTimersByTimeAsync(10 * FLUSH_MS);
    expect(recordLastSeen).toHaveBeenCalledTimes(1);
  });
});
