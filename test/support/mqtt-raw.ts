import { once } from 'node:events';
import net from 'node:net';
import mqttPacket, { type IConnackPacket, type IDisconnectPacket, type Packet } from 'mqtt-packet';
import { TELEMETRY_TOPIC } from './mqtt-device.js';

/**
 * A raw MQTT 5 connection: sends whatever packet (or bytes) it is given, and records what the
 * server sent and when it closed the connection.
 */
export async function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  const packets: Packet[] = [];
  const changed = new Set<() => void>();
  let open = true;
  const openedAt = Date.now();
  parser.on('packet', (packet: Packet) => {
    packets.push(packet);
    for (const notify of changed) notify();
  });
  socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  // A reset after the server's close is a close all the same.
  socket.on('error', () => {});
  /** Resolves with the milliseconds from opening to the server's close. */
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      open = false;
      resolve(Date.now() - openedAt);
      for (const notify of changed) notify();
    }),
  );
  await once(socket, 'connect');

  /** The first packet of `cmd` the server sent, or undefined if it closed without one. */
  function received<T extends Packet>(cmd: T['cmd']): Promise<T | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const found = packets.find((packet) => packet.cmd === cmd) as T | undefined;
        if (!found && open) return;
        changed.delete(check);
        resolve(found);
      };
      changed.add(check);
      check();
    });
  }

  const send = (packet: Packet) =>
    socket.write(mqttPacket.generate(packet, { protocolVersion: 5 }));

  return {
    packets,
    closed,
    received,
    send,
    isOpen: () => open,
    write: (bytes: Buffer) => socket.write(bytes),
    /** Sends CONNECT with `token` as the password; resolves with the CONNACK's reason code. */
    async connect(token: string, keepalive = 0) {
      send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: true,
        clientId: '',
        keepalive,
        username: 'device',
        password: Buffer.from(token),
      });
      return (await received<IConnackPacket>('connack'))?.reasonCode;
    },
    close: () => socket.destroy(),
  };
}

/** A QoS `qos` PUBLISH of `payload` to the telemetry topic, as MQTT 5 bytes. */
export const publishPacket = (payload: string, qos: 0 | 1 | 2, messageId = 1) =>
  mqttPacket.generate(
    { cmd: 'publish', topic: TELEMETRY_TOPIC, payload, qos, messageId, retain: false, dup: false },
    { protocolVersion: 5 },
  );

export type RawConnection = Awaited<ReturnType<typeof rawConnection>>;

export const disconnectReason = async (connection: RawConnection) =>
  (await connection.received<IDisconnectPacket>('disconnect'))?.reasonCode;
