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

  /** A message is one event, or several in order (a device's points of one batch: see publish). */
  function dispatch(listeners: Set<Listener>, name: string, message: string) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(message);
    } catch (err) {
      logger?.warn({ err, channel: name }, 'undecodable live message dropped');
      return;
    }
    for (const event of Array.isArray(decoded) ? decoded : [decoded]) {
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
   * One message per device per batch, its points in order: with a PUBLISH per point, ioredis
   * and the publishing took ~13% of the production pipeline's CPU at 35,000 points/s, and the
   * pipeline went from 35K to 47K points/s without it
   * (`bench/production-ingest.ts 400000 40 --profile`). Api processes of this version take
   * either form; deploy them before the pipeline.
   */
  function byDeviceChannel(points: readonly TelemetryPoint[]): [string, TelemetryPoint[]][] {
    const byChannel = new Map<string, TelemetryPoint[]>();
    for (const point of points) {
      const name = channelName(point.orgId, point.deviceId);
      const group = byChannel.get(name);
      if (group) group.push(point);
      else byChannel.set(name, [point]);
    }
    return [...byChannel];
  }
  subscriber.on('message', (name: string, message: string) => {
    const channel = channels.get(name);
    if (channel) dispatch(channel.listeners, name, message);
  });
  subscriber.on('pmessage', (pattern: string, name: string, message: string) => {
    const channel = patterns.get(pattern);
    if (channel) dispatch(channel.listeners, name, message);
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
  async function publishAll(messages: [channel: string, message: unknown][]) {
    if (messages.length === 0) return;
    const pipeline = publisher.pipeline();
    for (const [name, message] of messages) pipeline.publish(name, JSON.stringify(message));
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
      publishAll(events.map((event) => [alertChannelName(event.organizationId), event])),
    subscribeAlerts: (orgId, listener) => listen(alertChannelName(orgId), listener),
    publishConnectivity: (changes) =>
      publishAll(changes.map((change) => [connectivityChannelName(change.organizationId), change])),
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
