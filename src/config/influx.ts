import { z } from 'zod';
import { optionalString, requireAll } from './fields.js';

/** InfluxDB, production's telemetry store, over its v1 HTTP API. */
export const influxSettings = z
  .object({
    INFLUX_URL: optionalString.pipe(z.url().optional()),
    INFLUX_DATABASE: optionalString,
    INFLUX_RETENTION_POLICY: optionalString,
    INFLUX_TOKEN: optionalString,
    INFLUX_USERNAME: optionalString,
    INFLUX_PASSWORD: optionalString,
  })
  .transform((env) =>
    env.INFLUX_URL && env.INFLUX_DATABASE
      ? {
          url: env.INFLUX_URL,
          database: env.INFLUX_DATABASE,
          retentionPolicy: env.INFLUX_RETENTION_POLICY,
          token: env.INFLUX_TOKEN,
          username: env.INFLUX_USERNAME,
          password: env.INFLUX_PASSWORD,
        }
      : undefined,
  );

export const influxRequired = requireAll<z.input<typeof influxSettings>>(
  'INFLUX_URL',
  'INFLUX_DATABASE',
);
