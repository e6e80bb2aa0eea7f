import type { TelemetryPoint } from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type { LiveHub } from '../../ports/live-hub.js';
import { createRedisClient, pingRedis } from '../connections/redis-connection.js';

export interface RedisLiveHubOptions {
  /** redis:// or rediss:// (TLS, with its CA file: src/adapters/connections/redis-url.ts). */
  url: string;
  /** Prepended to every channel name, so several deployments (or test files) share one Redis. */
  keyPrefix?: string;
  logger?: Logger;
}

type Listener = (message: never) => void;

interface Channel {
  listeners: Set<Listener>;
  /** Settles once Redis confirmed the SUBSCRIBE (or PSUBSCRIBE) for this channel. */
  subscribed: Promise<unknown>;
}

/** Channels by name, and patterns (PSUBSCRIBE) by pattern: each subscribed once per process. */
type Subscriptions = Map<string, Channel>;

/** A literal for a Redis glob pattern: its special characters escaped. */
const globLiteral = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Live fan-out over Redis pub/sub, so any API replica serves any subscriber. Publishing and
 * subscribing use separate connections because a connection in subscriber mode accepts no other
 * commands. Each channel is subscribed once per process and shared by all local listeners, so
 * 10,000 dashboards watching one device cost one Redis subscription and one JSON parse per point.
 */
export function createRedisLiveHub(options: RedisLiveHubOptions): LiveHub {
  const { url, keyPrefix = '', logger } = options;
  // Bounded retries: a publish during a Redis outage fails within seconds (the pipeline decides
  // what to do) instead of queueing forever. ioredis re-subscribes every channel on reconnect
  // (autoResubscribe, on by default).
  const connectionOptions = { maxRetriesPerRequest: 3, autoResubscribe: true };
  // Named (with the prefix) so an operator can tell the hub's connections apart in CLIENT LIST.
  const name = (role: string) => `live-hub:${role}${keyPrefix ? `:${keyPrefix}` : ''}`;
  const publisher = createRedisClient(url, {
    ...connectionOptions,
    connectionName: name('publish'),
  });
  const subscriber = createRedisClient(url, {
    ...connectionOptions,
    connectionName: name('subscribe'),
  });
  const channels: Subscriptions = new Map();
  const patterns: Subscriptions = new Map();

  for (const [role, connection] of [
    ['publish', publisher],
    ['subscribe', subscriber],
  ] as const) {
    connection.on('error', (err: unknown) => logger?.warn({ err, role }, 'redis live hub error'));
    connection.on('reconnecting', (delay: number) =>
      logger?.info({ role, delay }, 'redis live hub reconnecting'),
    );
  }

  const channelName = (orgId: string, deviceId: string) =>
    `${keyPrefix}telemetry:${orgId}:${deviceId}`;
  // Every device channel of the organization: device ids cannot hold a glob character, but the
  // prefix and the organization id are escaped all the same.
  const organizationPattern = (orgId: string) =>
    `${globLiteral(`${keyPrefix}telemetry:${orgId}:`)}*`;
  const alertChannelName = (orgId: string) => `${keyPrefix}alerts:${orgId}`;
  const connectivityChannelName = (orgId: string) => `${keyPrefix}connectivity:${orgId}`;

  /**
   * A message is one event, or several in order, or (on a device's channel) a device's points of
   * one publish: see encodeDevicePoints.
   */
  function dispatch(listeners: Set<Listener>, name: string, message: string, points: boolean) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(message);
    } catch (err) {
      logger?.warn({ err, channel: name }, 'undecodable live message dropped');
      return;
    }
    const events = points ? devicePointsOf(decoded) : Array.isArray(decoded) ? decoded : [decoded];
    for (const event of events) {
      for (const listener of listeners) {
        try {
          listener(event as never);
        } catch (err) {
          // One broken subscriber must not starve the others.
          logger?.warn({ err, channel: name }, 'live listener threw');
        }
      }
    }
  }

  /**
   * One message per device per publish, its points in order: with a PUBLISH per point, ioredis
   * and the publishing took ~13% of the production pipeline's CPU at 35,000 points/s, and the
   * pipeline went from 35K to 47K points/s without it
   * (`bench/production-ingest.ts 400000 40 --profile`).
   */
  function byDeviceChannel(points: readonly TelemetryPoint[]): [string, string][] {
    const byChannel = new Map<string, TelemetryPoint[]>();
    let previous: TelemetryPoint | undefined;
    let group: TelemetryPoint[] = [];
    for (const point of points) {
      // A request's points are one device's: its channel is named once, not per point.
      if (previous?.deviceId !== point.deviceId || previous.orgId !== point.orgId) {
        const name = channelName(point.orgId, point.deviceId);
        group = byChannel.get(name) ?? [];
        if (group.length === 0) byChannel.set(name, group);
      }
      group.push(point);
      previous = point;
    }
    return [...byChannel].map(([name, points]) => [name, encodeDevicePoints(points)]);
  }
  const telemetryChannels = `${keyPrefix}telemetry:`;
  subscriber.on('message', (name: string, message: string) => {
    const channel = channels.get(name);
    if (channel) dispatch(channel.listeners, name, message, name.startsWith(telemetryChannels));
  });
  // Patterns are organizations' device channels.
  subscriber.on('pmessage', (pattern: string, name: string, message: string) => {
    const channel = patterns.get(pattern);
    if (channel) dispatch(channel.listeners, name, message, true);
  });

  function release(kind: Subscriptions, name: string, channel: Channel, listener: Listener) {
    channel.listeners.delete(listener);
    if (channel.listeners.size > 0 || kind.get(name) !== channel) return;
    kind.delete(name);
    // Commands on one connection run in order, so a SUBSCRIBE issued after this UNSUBSCRIBE (a
    // new listener arriving) still leaves the channel subscribed.
    const done = kind === patterns ? subscriber.punsubscribe(name) : subscriber.unsubscribe(name);
    done.catch((err: unknown) => logger?.warn({ err, channel: name }, 'unsubscribe failed'));
  }

  /** Publishes every message on its channel in one round trip. */
  async function publishAll(messages: [channel: string, message: string][]) {
    if (messages.length === 0) return;
    const pipeline = publisher.pipeline();
    for (const [name, message] of messages) pipeline.publish(name, message);
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async function listen(name: string, listener: Listener, kind: Subscriptions = channels) {
    let channel = kind.get(name);
    if (!channel) {
      const subscribed =
        kind === patterns ? subscriber.psubscribe(name) : subscriber.subscribe(name);
      channel = { listeners: new Set(), subscribed };
      kind.set(name, channel);
    }
    channel.listeners.add(listener);
    const current = channel;
    try {
      await current.subscribed;
    } catch (err) {
      release(kind, name, current, listener);
      throw err;
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      release(kind, name, current, listener);
    };
  }

  return {
    publish: (points) => publishAll(byDeviceChannel(points)),
    subscribe: (orgId, deviceId, listener) => listen(channelName(orgId, deviceId), listener),
    subscribeOrganization: (orgId, listener) =>
      listen(organizationPattern(orgId), listener, patterns),
    publishAlerts: (events) =>
      publishAll(
        events.map((event) => [alertChannelName(event.organizationId), JSON.stringify(event)]),
      ),
    subscribeAlerts: (orgId, listener) => listen(alertChannelName(orgId), listener),
    publishConnectivity: (changes) =>
      publishAll(
        changes.map((change) => [
          connectivityChannelName(change.organizationId),
          JSON.stringify(change),
        ]),
      ),
    subscribeConnectivity: (orgId, listener) => listen(connectivityChannelName(orgId), listener),

    async ping() {
      // "redis: certificate not trusted (…)", "redis: authentication failed (…)", …
      await Promise.all([pingRedis(publisher), pingRedis(subscriber)]);
    },

    async close() {
      channels.clear();
      patterns.clear();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}

/**
 * A device's points as one message, its organization and device written once instead of per
 * point: ingest publishes every accepted point (live-on-accept.ts), and this is most of what
 * that costs it (with the ids per point, the publish was ~20% of ingest's CPU at 500 points a
 * request; bench/production-ingest.ts --profile). Only what subscribers read: ts and metrics.
 */
function encodeDevicePoints(points: readonly TelemetryPoint[]): string {
  const { orgId, deviceId } = points[0]!;
  let body = `{"v":1,"orgId":${JSON.stringify(orgId)},"deviceId":${JSON.stringify(deviceId)},"points":[`;
  for (let i = 0; i < points.length; i++) {
    const { ts, metrics } = points[i]!;
    body += `${i === 0 ? '' : ','}{"ts":${ts},"metrics":${JSON.stringify(metrics)}}`;
  }
  return `${body}]}`;
}

/**
 * The points of a device channel's message: encodeDevicePoints's form, or the array of whole
 * points (or one point) that earlier versions published, so api processes can be upgraded first.
 */
function devicePointsOf(decoded: unknown): unknown[] {
  if (Array.isArray(decoded)) return decoded;
  const message = decoded as { v?: unknown; orgId: string; deviceId: string; points: unknown };
  if (message?.v !== 1 || !Array.isArray(message.points)) return [decoded];
  const { orgId, deviceId } = message;
  return (message.points as { ts: number; metrics: unknown }[]).map(({ ts, metrics }) => ({
    orgId,
    deviceId,
    ts,
    metrics,
  }));
}
