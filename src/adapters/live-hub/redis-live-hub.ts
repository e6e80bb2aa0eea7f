import { Redis } from 'ioredis';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type { LiveHub, LiveListener } from '../../ports/live-hub.js';

export interface RedisLiveHubOptions {
  url: string;
  /** Prepended to every channel name, so several deployments (or test files) share one Redis. */
  keyPrefix?: string;
  logger?: Logger;
}

interface Channel {
  listeners: Set<LiveListener>;
  /** Settles once Redis confirmed the SUBSCRIBE for this channel. */
  subscribed: Promise<unknown>;
}

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
  const publisher = new Redis(url, { ...connectionOptions, connectionName: name('publish') });
  const subscriber = new Redis(url, { ...connectionOptions, connectionName: name('subscribe') });
  const channels = new Map<string, Channel>();

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

  subscriber.on('message', (name: string, message: string) => {
    const channel = channels.get(name);
    if (!channel) return;
    let point: TelemetryPoint;
    try {
      point = JSON.parse(message) as TelemetryPoint;
    } catch (err) {
      logger?.warn({ err, channel: name }, 'undecodable live message dropped');
      return;
    }
    for (const listener of channel.listeners) {
      try {
        listener(point);
      } catch (err) {
        // One broken subscriber must not starve the others.
        logger?.warn({ err, channel: name }, 'live listener threw');
      }
    }
  });

  function release(name: string, channel: Channel, listener: LiveListener) {
    channel.listeners.delete(listener);
    if (channel.listeners.size > 0 || channels.get(name) !== channel) return;
    channels.delete(name);
    // Commands on one connection run in order, so a SUBSCRIBE issued after this UNSUBSCRIBE (a
    // new listener arriving) still leaves the channel subscribed.
    subscriber
      .unsubscribe(name)
      .catch((err: unknown) => logger?.warn({ err, channel: name }, 'unsubscribe failed'));
  }

  return {
    async publish(points) {
      if (points.length === 0) return;
      const pipeline = publisher.pipeline();
      for (const point of points) {
        pipeline.publish(channelName(point.orgId, point.deviceId), JSON.stringify(point));
      }
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },

    async subscribe(orgId, deviceId, listener) {
      const name = channelName(orgId, deviceId);
      let channel = channels.get(name);
      if (!channel) {
        channel = { listeners: new Set(), subscribed: subscriber.subscribe(name) };
        channels.set(name, channel);
      }
      channel.listeners.add(listener);
      const current = channel;
      try {
        await current.subscribed;
      } catch (err) {
        release(name, current, listener);
        throw err;
      }
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        release(name, current, listener);
      };
    },

    async ping() {
      await Promise.all([publisher.ping(), subscriber.ping()]);
    },

    async close() {
      channels.clear();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
