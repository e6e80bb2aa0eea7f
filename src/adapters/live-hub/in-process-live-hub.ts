import type { LiveHub, LiveListener } from '../../ports/live-hub.js';

/** The embedded live hub: listeners per (organization, device), all in this process. */
export function createInProcessLiveHub(): LiveHub {
  const channels = new Map<string, Set<LiveListener>>();
  const channel = (orgId: string, deviceId: string) => `${orgId}\u0000${deviceId}`;

  return {
    async publish(points) {
      for (const point of points) {
        const listeners = channels.get(channel(point.orgId, point.deviceId));
        if (!listeners) continue;
        for (const listener of listeners) {
          try {
            listener(point);
          } catch {
            // One broken subscriber must not starve the others.
          }
        }
      }
    },
    async subscribe(orgId, deviceId, listener) {
      const key = channel(orgId, deviceId);
      const listeners = channels.get(key) ?? new Set();
      channels.set(key, listeners);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        // A stale unsubscribe (called again after the channel was recreated) must not drop the
        // new listeners' set.
        if (listeners.size === 0 && channels.get(key) === listeners) channels.delete(key);
      };
    },
    async ping() {},
    async close() {
      channels.clear();
    },
  };
}
