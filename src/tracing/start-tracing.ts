import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { context, propagation, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { TracingSettings } from '../config/tracing.js';
import type { Logger } from '../logger.js';
import { setTracingOn } from './spans.js';

/**
 * A batch span keeps a link to every publish it carries, up to this many (the SDK's default of
 * 128 would drop links of a full Kafka batch).
 */
const MAX_LINKS_PER_SPAN = 1_024;

export interface Tracing {
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry traces (src/config/tracing.ts), or nothing when they are off. Only traces:
 * metrics are Prometheus's (src/metrics/) and logs are the JSON lines, which carry `trace_id` and
 * `span_id` (src/logger.ts). No auto-instrumentation: the spans are the product's own
 * (src/tracing/), so they name what happened (an ingest request, a batch, a store write) and
 * never record a body or a credential.
 */
export function startTracing(
  settings: TracingSettings | null,
  defaultServiceName: string,
  logger: Logger,
): Tracing {
  if (!settings) return { async shutdown() {} };
  const Exporter = settings.protocol === 'http/json' ? OtlpJsonExporter : OtlpProtobufExporter;
  const sdk = new NodeSDK({
    serviceName: settings.serviceName ?? defaultServiceName,
    traceExporter: new Exporter({ url: settings.url }),
    spanLimits: { linkCountLimit: MAX_LINKS_PER_SPAN },
    // Explicitly none: the SDK would otherwise push metrics and logs over OTLP too.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  setTracingOn(true);
  // Origin and path only: a collector URL may carry credentials.
  const { origin, pathname } = new URL(settings.url);
  logger.info({ url: origin + pathname, protocol: settings.protocol }, 'tracing to OTLP');
  return {
    async shutdown() {
      setTracingOn(false);
      await sdk.shutdown().catch((error: unknown) => {
        logger.warn({ err: error }, 'flushing the last spans failed');
      });
      // Back to the API's no-ops, so tracing can be started again in the same process.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
