import { z } from 'zod';
import { optionalString, readableFile, requireAll } from './fields.js';

/**
 * InfluxDB, production's telemetry store, over its v1 HTTP API. An `https://` INFLUX_URL is
 * verified against Node's public CAs, or INFLUX_CA_FILE.
 */
export const influxSettings = z
  .object({
    INFLUX_URL: optionalString.pipe(
      z
        .url()
        // zod runs this after a failed z.url() too (its problem is reported): only URLs are read.
        .refine((url) => !URL.canParse(url) || /^https?:$/.test(new URL(url).protocol), {
          error: 'must be an http:// or https:// URL',
        })
        .optional(),
    ),
    INFLUX_DATABASE: optionalString,
    INFLUX_RETENTION_POLICY: optionalString,
    INFLUX_TOKEN: optionalString,
    INFLUX_USERNAME: optionalString,
    INFLUX_PASSWORD: optionalString,
    INFLUX_CA_FILE: optionalString.pipe(readableFile.optional()),
  })
  .superRefine((env, ctx) => {
    // Also run when INFLUX_URL failed its own check (reported already): only a URL is read.
    const url =
      env.INFLUX_URL && URL.canParse(env.INFLUX_URL) ? new URL(env.INFLUX_URL) : undefined;
    if (env.INFLUX_CA_FILE && url && url.protocol !== 'https:') {
      ctx.addIssue({
        code: 'custom',
        path: ['INFLUX_CA_FILE'],
        message: 'needs an https:// INFLUX_URL',
      });
    }
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
          /** The CA an https:// server's certificate must chain to; undefined: Node's public CAs. */
          caFile: env.INFLUX_CA_FILE,
        }
      : undefined,
  );

export const influxRequired = requireAll<z.input<typeof influxSettings>>(
  'INFLUX_URL',
  'INFLUX_DATABASE',
);
