import type { Duplex } from 'node:stream';
import mqttPacket, {
  type IConnectPacket,
  type IPublishPacket,
  type ISubscribePacket,
  type IUnsubscribePacket,
  type Packet,
} from 'mqtt-packet';
import { SpanKind } from '@opentelemetry/api';
import { hashDeviceToken } from '../../auth/device-tokens.js';
import type { Logger } from '../../logger.js';
import type { DeviceIdentity } from '../../ports/device-repository.js';
import { incomingContext, inSpan } from '../../tracing/spans.js';
import type { MqttDeviceGateway } from './device-gateway.js';
import { CONNECT_REFUSAL, PUBLISH_REFUSAL, REASON } from './reason-codes.js';

/** The one topic a device publishes telemetry to (the topic other IoT platforms use). */
export const TELEMETRY_TOPIC = 'v1/devices/me/telemetry';
/** Where a device that subscribes hears why a publish was refused (JSON, as HTTP's answers). */
export const ERRORS_TOPIC = 'v1/devices/me/errors';

/** How long a client has to send CONNECT after opening the connection. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long a closing connection has to take its last packet before it is destroyed. */
const FLUSH_BEFORE_DESTROY_MS = 1_000;

export interface MqttSessionOptions {
  gateway: MqttDeviceGateway;
  /** The largest packet read: ingest's body limit plus room for the topic and properties. */
  maxPacketBytes: number;
  logger: Logger;
}

/** A connected device's session, as the registry (mqtt-sessions.ts) sees it. */
export interface MqttSession {
  device: DeviceIdentity;
  /** The SHA-256 of its token: what the registry re-checks, so the token itself is not kept. */
  tokenHash: string;
  /** Ends the session with a reason (MQTT 5 DISCONNECT; 3.1.1 just closes). */
  disconnect(reasonCode: number, reason: string): void;
}

/**
 * The remaining length the packet being read declares (-1 before its header is read):
 * mqtt-packet's Parser keeps it in `packet.length`, which its types do not show.
 */
function declaredLength(parser: mqttPacket.Parser): number {
  return (parser as unknown as { packet: { length: number } }).packet.length;
}

/**
 * One MQTT connection (3.1, 3.1.1 or 5, over TCP, TLS or WebSocket) from a device, on
 * mqtt-packet's parser and generator (the protocol's bytes are the library's; what a device may
 * do is ours, README "MQTT"). Packets are handled one after another, so a device's publishes are
 * acknowledged in order, each once the bus has its points.
 */
export function serveMqttSession(
  stream: Duplex,
  client: string,
  options: MqttSessionOptions,
  hooks: { opened(session: MqttSession): void; closed(session: MqttSession): void },
) {
  const { gateway, maxPacketBytes, logger } = options;
  const parser = mqttPacket.parser();
  let version = 4;
  let session: MqttSession | undefined;
  let subscribedToErrors = false;
  let closed = false;
  let queue = Promise.resolve();
  let keepAlive: NodeJS.Timeout | undefined;

  const connectTimer = setTimeout(() => close(), CONNECT_TIMEOUT_MS);

  function send(packet: Packet) {
    if (closed || stream.destroyed) return;
    stream.write(mqttPacket.generate(packet, { protocolVersion: version }));
  }

  function close() {
    if (closed) return;
    closed = true;
    clearTimeout(connectTimer);
    clearTimeout(keepAlive);
    // end() flushes what was written (a DISCONNECT, a CONNACK refusal) before closing; a peer
    // that does not close its side in turn is cut off a moment later.
    stream.end();
    setTimeout(() => stream.destroy(), FLUSH_BEFORE_DESTROY_MS).unref();
    if (session) hooks.closed(session);
  }

  /** MQTT 5 says why before closing; 3.1.1 has no way to, and only closes. */
  function disconnect(reasonCode: number, reason: string) {
    if (version === 5) {
      send({ cmd: 'disconnect', reasonCode, properties: { reasonString: reason } });
    }
    close();
  }

  function tellDevice(body: object) {
    if (!subscribedToErrors) return;
    send({
      cmd: 'publish',
      topic: ERRORS_TOPIC,
      payload: JSON.stringify(body),
      qos: 0,
      retain: false,
      dup: false,
    });
  }

  async function onConnect(packet: IConnectPacket) {
    version = packet.protocolVersion ?? 4;
    clearTimeout(connectTimer);
    // The token is the password (the username is free: the device id, say); a client that can
    // set only a username may put the token there, as ThingsBoard devices do.
    const token = packet.password?.toString('utf8') || packet.username || '';
    const outcome = await gateway.connect(token, client);
    if (!outcome.ok) {
      const code = CONNECT_REFUSAL[outcome.refusal];
      send(
        version === 5
          ? { cmd: 'connack', sessionPresent: false, reasonCode: code.v5 }
          : { cmd: 'connack', sessionPresent: false, returnCode: code.v4 },
      );
      return close();
    }
    // Clean sessions only: nothing is kept for a device between connections.
    send(
      version === 5
        ? {
            cmd: 'connack',
            sessionPresent: false,
            reasonCode: REASON.SUCCESS,
            properties: {
              maximumQoS: 1,
              retainAvailable: false,
              wildcardSubscriptionAvailable: false,
              sharedSubscriptionAvailable: false,
              subscriptionIdentifiersAvailable: false,
              maximumPacketSize: maxPacketBytes,
              topicAliasMaximum: 0,
              ...(packet.clientId ? {} : { assignedClientIdentifier: outcome.device.deviceId }),
            },
          }
        : { cmd: 'connack', sessionPresent: false, returnCode: 0 },
    );
    session = { device: outcome.device, tokenHash: hashDeviceToken(token), disconnect };
    hooks.opened(session);
    const keepAliveSeconds = packet.keepalive ?? 0;
    if (keepAliveSeconds > 0) {
      // The protocol's rule: one and a half keep-alive periods without a packet end it.
      keepAlive = setTimeout(
        () => disconnect(REASON.KEEP_ALIVE_TIMEOUT, 'keep alive timeout'),
        keepAliveSeconds * 1_500,
      );
      keepAlive.unref();
    }
  }

  async function onPublish(device: DeviceIdentity, packet: IPublishPacket) {
    if (packet.qos === 2) return disconnect(REASON.QOS_NOT_SUPPORTED, 'QoS 2 is not supported');
    if (packet.topic !== TELEMETRY_TOPIC) {
      const reason = `a device publishes only to ${TELEMETRY_TOPIC}`;
      // 3.1.1 has no negative acknowledgement: closing is what it allows (its section 4.7).
      if (version !== 5 || packet.qos === 0) return disconnect(REASON.NOT_AUTHORIZED, reason);
      return send({
        cmd: 'puback',
        messageId: packet.messageId,
        reasonCode: REASON.NOT_AUTHORIZED,
        properties: { reasonString: reason },
      });
    }
    const payload =
      typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const outcome = await inSpan(
      `MQTT PUBLISH ${TELEMETRY_TOPIC}`,
      {
        kind: SpanKind.SERVER,
        parent: incomingContext(packet.properties?.userProperties),
        attributes: { 'messaging.system': 'mqtt', 'mqtt.qos': packet.qos },
      },
      () => gateway.publish(device, payload),
    );
    if (outcome.ok) {
      if (packet.qos === 1) send({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0 });
      return;
    }
    tellDevice(outcome.body);
    if (
      outcome.refusal === 'UNAVAILABLE' ||
      (outcome.refusal === 'RATE_LIMITED' && version !== 5)
    ) {
      // Not acknowledged: the device keeps the points and sends them again once reconnected.
      return disconnect(REASON.SERVER_BUSY, outcome.body.message);
    }
    if (packet.qos === 0) return;
    send(
      version === 5
        ? {
            cmd: 'puback',
            messageId: packet.messageId,
            reasonCode: PUBLISH_REFUSAL[outcome.refusal],
            properties: { reasonString: outcome.body.message },
          }
        : // 3.1.1: acknowledged so it is not sent again for ever; refused all the same, said on
          // the errors topic (README "MQTT").
          { cmd: 'puback', messageId: packet.messageId },
    );
  }

  function onSubscribe(packet: ISubscribePacket) {
    const granted = packet.subscriptions.map(({ topic }) => {
      if (topic !== ERRORS_TOPIC) return version === 5 ? REASON.NOT_AUTHORIZED : 0x80;
      subscribedToErrors = true;
      return 0;
    });
    send({ cmd: 'suback', messageId: packet.messageId, granted });
  }

  function onUnsubscribe(packet: IUnsubscribePacket) {
    const granted = packet.unsubscriptions.map((topic) => {
      if (topic !== ERRORS_TOPIC || !subscribedToErrors) return REASON.NO_SUBSCRIPTION_EXISTED;
      subscribedToErrors = false;
      return REASON.SUCCESS;
    });
    send(
      version === 5
        ? { cmd: 'unsuback', messageId: packet.messageId, granted }
        : { cmd: 'unsuback', messageId: packet.messageId, granted: [] },
    );
  }

  async function handle(packet: Packet) {
    if (closed) return;
    if (!session) {
      // The first packet must be CONNECT; anything else is a protocol violation.
      if (packet.cmd === 'connect') return onConnect(packet);
      return close();
    }
    switch (packet.cmd) {
      case 'publish':
        return onPublish(session.device, packet);
      case 'subscribe':
        return onSubscribe(packet);
      case 'unsubscribe':
        return onUnsubscribe(packet);
      case 'pingreq':
        return send({ cmd: 'pingresp' });
      case 'disconnect':
        return close();
      default:
        return disconnect(REASON.PROTOCOL_ERROR, `${packet.cmd} is not expected from a device`);
    }
  }

  parser.on('packet', (packet: Packet) => {
    if ((packet.length ?? 0) > maxPacketBytes) {
      return disconnect(REASON.PACKET_TOO_LARGE, `packets are at most ${maxPacketBytes} bytes`);
    }
    queue = queue
      .then(() => handle(packet))
      .catch((error: unknown) => {
        logger.error({ err: error, client }, 'MQTT packet handling failed');
        disconnect(REASON.UNSPECIFIED_ERROR, 'internal error');
      });
  });
  parser.on('error', (error: Error) => {
    disconnect(REASON.MALFORMED_PACKET, `malformed packet: ${error.message}`);
  });
  stream.on('data', (chunk: Buffer) => {
    if (closed) return;
    // Any bytes count as life, even while earlier packets are still being handled.
    keepAlive?.refresh();
    // The parser keeps a packet's bytes until it is whole: a packet declared (or grown) past the
    // limit is refused before it can grow memory. Whole packets in the same chunk are theirs to
    // count, each its own size (the 'packet' handler).
    const buffered = parser.parse(chunk);
    if (buffered > maxPacketBytes || declaredLength(parser) > maxPacketBytes) {
      return disconnect(REASON.PACKET_TOO_LARGE, `packets are at most ${maxPacketBytes} bytes`);
    }
  });
  stream.on('error', () => close());
  stream.on('close', () => close());
}
