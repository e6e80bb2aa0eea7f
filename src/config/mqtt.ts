import { z } from 'zod';
import { optionalString } from './fields.js';

/** A port, or `off`: no listener. */
const portOrOff = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      if (text === 'off' || text === '') return null;
      const port = Number(text);
      if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
      ctx.addIssue({ code: 'custom', message: 'must be a port (0 to 65535) or off' });
      return z.NEVER;
    });

/**
 * Where devices reach ingest over MQTT (src/mqtt/): plain TCP on MQTT_PORT, TLS on MQTTS_PORT
 * with the certificate and key files given, and WebSocket at `/mqtt` on the ingest HTTP port
 * (the embedded app's one port) whenever MQTT is on.
 */
export const mqttSettings = z
  .object({
    MQTT_PORT: portOrOff('1883'),
    MQTTS_PORT: portOrOff('off'),
    MQTT_TLS_CERT_FILE: optionalString,
    MQTT_TLS_KEY_FILE: optionalString,
  })
  .superRefine((env, ctx) => {
    if (env.MQTTS_PORT === null) return;
    for (const key of ['MQTT_TLS_CERT_FILE', 'MQTT_TLS_KEY_FILE'] as const) {
      if (!env[key])
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required with MQTTS_PORT' });
    }
  })
  .transform((env) => ({
    mqtt: {
      port: env.MQTT_PORT,
      tls:
        env.MQTTS_PORT === null
          ? null
          : {
              port: env.MQTTS_PORT,
              certFile: env.MQTT_TLS_CERT_FILE!,
              keyFile: env.MQTT_TLS_KEY_FILE!,
            },
    },
  }));

export type MqttSettings = z.output<typeof mqttSettings>['mqtt'];
