import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export const TELEMETRY_TOPIC = 'v1/devices/me/telemetry';
export const ERRORS_TOPIC = 'v1/devices/me/errors';

/** What the server said when it closed the connection (MQTT 5 DISCONNECT), or that it did. */
export interface Ending {
  reasonCode: number | null;
  reason: string | null;
}

/**
 * A device on MQTT (the `mqtt` npm client): connects with its token as the password, never
 * reconnects on its own (the tests decide), and records how the connection ended and what it
 * heard on the errors topic.
 */
export async function connectDevice(
  url: string,
  token: string,
  options: { version?: 4 | 5; extra?: IClientOptions } = {},
) {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: options.version ?? 5,
    username: 'device',
    password: token,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options.extra,
  });
  return watched(client);
}

function watched(client: MqttClient) {
  const errors: unknown[] = [];
  let ending: Ending | undefined;
  const ended = new Promise<Ending>((resolve) => {
    client.on('disconnect', (packet) => {
      ending = {
        reasonCode: packet.reasonCode ?? null,
        reason: packet.properties?.reasonString ?? null,
      };
    });
    client.on('close', () => resolve(ending ?? { reasonCode: null, reason: null }));
  });
  client.on('message', (topic, payload) => {
    if (topic === ERRORS_TOPIC) errors.push(JSON.parse(payload.toString('utf8')));
  });
  // A refused publish is an error of its call; the client's own error event is not the test's.
  client.on('error', () => {});
  return {
    client,
    /** What the server published on the errors topic (once subscribed). */
    errors,
    /** Resolves when the connection closes, with the server's reason if it gave one. */
    ended,
    publish(payload: string | Buffer, qos: 0 | 1 = 1, topic = TELEMETRY_TOPIC) {
      return client.publishAsync(topic, payload, { qos });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}
