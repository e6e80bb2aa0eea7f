import type { LiveHub } from '../../ports/live-hub.js';

type Listener = (message: never) => void;

/**
 * The embedded live hub: listeners per channel, all in this process. Channels are a device's
 * telemetry (organization, device), all of an organization's telemetry, its alerts or its connectivity transitions.
 */
export function createInProcessLiveHub(): LiveHub {
  const channels = new Map<string, Set<Listener>>();
  const telemetryChannel = (orgId: string, deviceId: string) => `t\u0000${orgId}\u0000${deviceId}`;
  const organizationChannel = (orgId: string) => `o\u0000${orgId}`;
  const alertChannel = (orgId: string) => `a\u0000${orgId}`;
  const connectivityChannel = (orgId: string) => `c\u0000${orgId}`;

  function deliver<Message>(key: string, message: Message) {
    const listeners = channels.get(key) as Set<(message: Message) => void> | undefined;
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener(message);
      } catch {
        // One broken subscriber must not starve the others.
      }
    }
  }

  function listen(key: string, listener: Listener) {
    const listeners = channels.get(key) ?? new Set();
    channels.set(key, listeners);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      // A stale unsubscribe (called again after the channel was recreated) must not drop the
      // new listeners' set.
      if (listeners.size === 0 && channels.get(key) === listeners) channels.delete(key);
    };
  }

  return {
    async publish(points) {
      for (const point of points) {
        deliver(telemetryChannel(point.orgId, point.deviceId), point);
        deliver(organizationChannel(point.orgId), point);
      }
    },
    async subscribe(orgId, deviceId, listener) {
      return listen(telemetryChannel(orgId, deviceId), listener);
    },
    async subscribeOrganization(orgId, listener) {
      return listen(organizationChannel(orgId), listener);
    },
    async publishAlerts(events) {
      for (const event of events) deliver(alertChannel(event.organizationId), event);
    },
    async subscribeAlerts(orgId, listener) {
      return listen(alertChannel(orgId), listener);
    },
    async publishConnectivity(changes) {
      for (const change of changes) deliver(connectivityChannel(change.organizationId), change);
    },
    async subscribeConnectivity(orgId, listener) {
      return listen(connectivityChannel(orgId), listener);
    },
    async ping() {},
    async close() {
      channels.clear();
    },
  };
}
