import { z } from 'zod';
import { optionalString, portOrOff } from './fields.js';

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
