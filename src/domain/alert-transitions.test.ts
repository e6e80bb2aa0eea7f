import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertState } from './alerts.js';
import { episodeId, isAnomalous, nextAlertState, type RuleReading } from './alert-transitions.js';

const pair = { organizationId: 'org', deviceId: 'dev' };
const rule = (
  overrides: Partial<{ clearThreshold: number | null; forDurationMs: number }> = {},
) => ({
  id: 'rule',
  kind: 'THRESHOLD' as const,
  condition: 'GT' as const,
  threshold: 80,
  clearThreshold: null as number | null,
  forDurationMs: 0,
  ...overrides,
});

/** Runs the readings through the rule; each reading's status and the changes reported. */
function run(timing: ReturnType<typeof rule>, readings: RuleReading[]) {
  let state: AlertState | undefined;
  const statuses: string[] = [];
  const changes: { ts: number; change: string }[] = [];
  for (const reading of readings) {
    const next = nextAlertState(timing, pair, state, reading);
    state = next.state;
    statuses.push(state.status);
    if (next.change) changes.push({ ts: reading.ts, change: next.change });
  }
  return { statuses, changes, state };
}

const readingsOf = (values: number[], stepMs = 1_000) =>
  values.map((value, i) => ({ ts: i * stepMs, value }));

describe('nextAlertState', () => {
  it('without forDuration or clear threshold, fires and resolves with the value itself', () => {
    const { statuses, changes } = run(rule(), readingsOf([70, 90, 95, 60, 85]));
    expect(statuses).toEqual(['OK', 'FIRING', 'FIRING', 'OK', 'FIRING']);
    expect(changes).toEqual([
      { ts: 1_000, change: 'FIRING' },
      { ts: 3_000, change: 'OK' },
      { ts: 4_000, change: 'FIRING' },
    ]);
  });

  it('waits out forDuration both ways, PENDING meanwhile, a broken streak starting over', () => {
    const timing = rule({ forDurationMs: 2_000 });
    const { statuses, changes } = run(
      timing,
      readingsOf([90, 90, 70, 90, 90, 90, 60, 90, 60, 60, 60]),
    );
    expect(statuses).toEqual([
      'PENDING', // 0 s: met, waiting
      'PENDING', // 1 s
      'OK', // 2 s: broke the streak
      'PENDING', // 3 s
      'PENDING', // 4 s
      'FIRING', // 5 s: met for 2 s
      'FIRING', // 6 s: unmet, waiting to resolve
      'FIRING', // 7 s: met again: the wait starts over
      'FIRING', // 8 s
      'FIRING', // 9 s
      'OK', // 10 s: unmet for 2 s
    ]);
    expect(changes).toEqual([
      { ts: 5_000, change: 'FIRING' },
      { ts: 10_000, change: 'OK' },
    ]);
  });

  it('with a clear threshold, a value hovering at the threshold does not flap', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 75.5, max: 85, noNaN: true }), { maxLength: 50 }),
        (hover) => {
          const { changes, state } = run(
            rule({ clearThreshold: 75 }),
            readingsOf([90, ...hover, 70]),
          );
          // Fired once at 90, resolved only once the value fell to 75 or below.
          expect(changes.map(({ change }) => change)).toEqual(['FIRING', 'OK']);
          expect(changes[1]!.ts).toBe((hover.length + 1) * 1_000);
          expect(state?.status).toBe('OK');
        },
      ),
    );
  });

  it('reports changes that alternate, each FIRING with the peak reached before it resolves', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 3 }),
        (values, forSeconds) => {
          const timing = rule({ forDurationMs: forSeconds * 1_000, clearThreshold: 70 });
          let state: AlertState | undefined;
          let last: string | undefined;
          let highest = -Infinity;
          for (const reading of readingsOf(values)) {
            const next = nextAlertState(timing, pair, state, reading);
            if (state?.status === 'FIRING') highest = Math.max(highest, reading.value as number);
            if (next.change) {
              expect(next.change).not.toBe(last);
              last = next.change;
              if (next.change === 'FIRING') highest = reading.value as number;
            }
            state = next.state;
            if (state.status === 'FIRING') expect(state.peak).toBe(highest);
          }
        },
      ),
    );
  });

  it('records a first reading that finds nothing wrong without reporting it', () => {
    const { changes, state } = run(rule(), readingsOf([10]));
    expect(changes).toEqual([]);
    expect(state).toMatchObject({ status: 'OK', since: 0, value: 10 });
  });
});

describe('ANOMALY', () => {
  const anomaly = {
    id: 'rule',
    kind: 'ANOMALY' as const,
    condition: null,
    threshold: 3,
    clearThreshold: null,
    forDurationMs: 0,
    windowPoints: 20,
  };

  it("fires on a spike unlike the device's own recent values, and resolves when they are usual again", () => {
    const usual = [20, 21, 19, 20, 22, 20, 21, 19, 20, 21];
    const { statuses, changes, state } = run(
      anomaly as never,
      readingsOf([...usual, 20.5, 35, 20, 21]),
    );
    expect(statuses.slice(0, 11).every((status) => status === 'OK')).toBe(true);
    expect(changes).toEqual([
      { ts: 11_000, change: 'FIRING' },
      { ts: 12_000, change: 'OK' },
    ]);
    // The window keeps the newest 20 values, the spike among them.
    expect(state?.window).toEqual([...usual, 20.5, 35, 20, 21]);
  });

  it('judges nothing before the window holds 10 values, and keeps only the newest', () => {
    const { changes, state } = run(anomaly as never, readingsOf([1, 1, 1, 1000, 1, 1, 1, 1, 1]));
    expect(changes).toEqual([]);
    const long = run(anomaly as never, readingsOf(Array.from({ length: 50 }, (_, i) => i % 3)));
    expect(long.state?.window).toHaveLength(20);
    expect(state?.window).toHaveLength(9);
  });

  it('agrees with the definition: more than k median absolute deviations from the median', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 10, maxLength: 60 }),
        fc.integer({ min: -5000, max: 5000 }),
        fc.double({ min: 0.5, max: 10, noNaN: true }),
        (window, value, k) => {
          const sorted = [...window].sort((a, b) => a - b);
          const mid = (xs: number[]) =>
            xs.length % 2 ? xs[xs.length >> 1]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2;
          const median = mid(sorted);
          const mad = mid(window.map((x) => Math.abs(x - median)).sort((a, b) => a - b));
          const expected = mad === 0 ? value !== median : Math.abs(value - median) > k * mad;
          expect(isAnomalous(k, window, value)).toBe(expected);
        },
      ),
    );
  });
});

describe('episodeId', () => {
  it('is a UUID, the same for the same rule, device and start, different otherwise', () => {
    const id = episodeId('r', 'd', 1);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(episodeId('r', 'd', 1)).toBe(id);
    expect(
      new Set([id, episodeId('r', 'd', 2), episodeId('r', 'e', 1), episodeId('s', 'd', 1)]).size,
    ).toBe(4);
  });
});
