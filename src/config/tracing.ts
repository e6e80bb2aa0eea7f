import { z } from 'zod';
import { flag, optionalString } from './fields.js';

const url = optionalString.pipe(z.url({ protocol: /^https?$/ }).optional());

/**
 * OpenTelemetry traces, exported over OTLP/HTTP: off unless OTEL_EXPORTER_OTLP_ENDPOINT (or the
 * traces-only OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, with the variables' standard meanings
 * (https://opentelemetry.io/docs/specs/otel/protocol/exporter/): the general endpoint gets
 * `/v1/traces` appended, the traces-only one is used as it is. The protocol is `http/protobuf`
 * (the standard's default) or `http/json`; gRPC is not shipped. The SDK's own variables
 * (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES) apply as
 * the SDK defines them.
 */
export const tracingSettings = z
  .object({
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url,
    OTEL_EXPORTER_OTLP_PROTOCOL: optionalString.pipe(
      z
        .enum(['http/protobuf', 'http/json'], {
          message: 'must be http/protobuf or http/json (gRPC is not supported)',
        })
        .default('http/protobuf'),
    ),
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optionalString.pipe(
      z
        .enum(['http/protobuf', 'http/json'], {
          message: 'must be http/protobuf or http/json (gRPC is not supported)',
        })
        .optional(),
    ),
    OTEL_SERVICE_NAME: optionalString,
    OTEL_SDK_DISABLED: flag(false),
  })
  .transform((env) => {
    const endpoint =
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      (env.OTEL_EXPORTER_OTLP_ENDPOINT &&
        `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
    return {
      tracing:
        endpoint === undefined || env.OTEL_SDK_DISABLED
          ? null
          : {
              /** Where spans are POSTed. */
              url: endpoint,
              protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL,
              /** Undefined: `iot-<role>` (`iot-analytics` embedded). */
              serviceName: env.OTEL_SERVICE_NAME,
            },
    };
  });

export type TracingSettings = NonNullable<z.output<typeof tracingSettings>['tracing']>;
