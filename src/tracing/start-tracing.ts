import { context, propagation, trace } from '@opentelemetry/api';
import type { TracingSettings } from '../config/tracing.js';
import type { Logger } from '../logger.js';
import { loadGraphQLTracing } from './graphql-tracing.js';
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
export async function startTracing(
  settings: TracingSettings | null,
  defaultServiceName: string,
  logger: Logger,
): Promise<Tracing> {
  if (!settings) return { async shutdown() {} };
  // Loaded only when tracing is on: the SDK and its exporters take ~0.7 s to load, a quarter of
  // a start (issue 13: /health within 3 s of `npm start`).
  const [{ NodeSDK }, Exporter] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    settings.protocol === 'http/json'
      ? import('@opentelemetry/exporter-trace-otlp-http').then((m) => m.OTLPTraceExporter)
      : import('@opentelemetry/exporter-trace-otlp-proto').then((m) => m.OTLPTraceExporter),
    loadGraphQLTracing(),
  ]);
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
