import type { MetricValue, TelemetryPoint } from '../domain/telemetry.js';

/** What arrived in a window, merged, with the time of each metric's value. */
interface Pending {
  point: TelemetryPoint;
  times: Record<string, number>;
}

interface DeviceState {
  /** The time of each metric's value last sent: an older value never replaces it. */
  sentTimes: Record<string, number>;
  /** While a window is open: its end, and what arrived in it to be sent then. */
  window?: { timer: NodeJS.Timeout; pending?: Pending };
}

/**
 * `sampleEvery` of the telemetry subscription: at most one message per device per interval. A
 * device's first point goes out at once and opens a window of `intervalMs`; the points arriving
 * in it are merged (each metric's newest value, by the point's time, a later arrival winning a
 * tie, and never a value older than one already sent) and go out as one message when it ends,
 * which opens the next window. A window with nothing pending closes, so a quiet device costs no
 * timer.
 *
 * Written by hand: the throttles of lodash and RxJS keep the last event, not the newest value of
 * each metric, and know nothing of devices.
 */
export function createLiveSampler(intervalMs: number, emit: (point: TelemetryPoint) => void) {
  const devices = new Map<string, DeviceState>();

  /** Sends the point; `times` are its metrics' own times when it was merged from several. */
  function send(state: DeviceState, point: TelemetryPoint, times?: Record<string, number>) {
    for (const metric of Object.keys(point.metrics)) {
      state.sentTimes[metric] = times?.[metric] ?? point.ts;
    }
    emit(point);
    const window: NonNullable<DeviceState['window']> = {
      timer: setTimeout(() => {
        state.window = undefined;
        if (window.pending) send(state, window.pending.point, window.pending.times);
      }, intervalMs),
    };
    state.window = window;
  }

  return {
    add(point: TelemetryPoint) {
      let state = devices.get(point.deviceId);
      if (!state) devices.set(point.deviceId, (state = { sentTimes: {} }));
      const fresh = newerThanSent(state.sentTimes, point);
      if (!fresh) return;
      if (!state.window) send(state, fresh);
      else state.window.pending = merge(state.window.pending, fresh);
    },
    /** Stops every window; what is pending is dropped (the subscriber has gone). */
    close() {
      for (const state of devices.values()) clearTimeout(state.window?.timer);
      devices.clear();
    },
    /** Open windows, for tests of what a subscription leaves behind. */
    get openWindows() {
      return [...devices.values()].filter((state) => state.window).length;
    },
  };
}

/** The point's metrics not older than the values already sent; undefined when none is left. */
function newerThanSent(
  sentTimes: Record<string, number>,
  point: TelemetryPoint,
): TelemetryPoint | undefined {
  const metrics: Record<string, MetricValue> = {};
  let any = false;
  for (const [metric, value] of Object.entries(point.metrics)) {
    if (sentTimes[metric]! > point.ts) continue;
    metrics[metric] = value;
    any = true;
  }
  return any ? { orgId: point.orgId, deviceId: point.deviceId, ts: point.ts, metrics } : undefined;
}

/**
 * The pending message with one more point: each metric's newest value (a later arrival wins a
 * tie, as a later write of the same point does in the store), the time of the newest point.
 */
function merge(pending: Pending | undefined, point: TelemetryPoint): Pending {
  if (!pending) {
    const times: Record<string, number> = {};
    for (const metric of Object.keys(point.metrics)) times[metric] = point.ts;
    return { point: { ...point, metrics: { ...point.metrics } }, times };
  }
  const { point: merged, times } = pending;
  for (const [metric, value] of Object.entries(point.metrics)) {
    if (times[metric]! > point.ts) continue;
    merged.metrics[metric] = value;
    times[metric] = point.ts;
  }
  merged.ts = Math.max(merged.ts, point.ts);
  return pending;
}
