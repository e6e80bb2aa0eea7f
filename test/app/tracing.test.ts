/**
 * startTracing in this process against a test OTLP receiver: the standard's default protocol
 * (protobuf) reaches the collector's path, and the embedded bus links each batch span to the
 * spans that published its points, as Kafka's headers do in production
 * (test/production/tracing.test.ts). Log lines written inside a span carry its ids.
 */
import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessEventBus } from '../../src/adapters/event-bus/in-process-event-bus.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { createLogger } from '../../src/logger.js';
import { startTracing, type Tracing } from '../../src/tracing/start-tracing.js';
import { inSpan, traceLogFields } from '../../src/tracing/spans.js';
import { eventually } from '../support/graphql-client.js';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

const silent = createLogger('silent', 'test');

describe('tracing in process', () => {
  let receiver: OtlpReceiver | undefined;
  let tracing: Tracing | undefined;

  afterEach(async () => {
    await tracing?.shutdown();
    await receiver?.close();
    tracing = undefined;
  });

  it('exports OTLP/HTTP protobuf to <endpoint>/v1/traces by default', async () => {
    receiver = await startOtlpReceiver();
    tracing = await startTracing(
      { url: `${receiver.url}/v1/traces`, protocol: 'http/protobuf', serviceName: undefined },
      'iot-test',
      silent,
    );
    await inSpan('a unit of work', {}, async () => {});
    await tracing.shutdown();
    expect(receiver.contentTypes).toContain('application/x-protobuf');
  });

  it('links the embedded bus batch to every publish it carries; logs carry the span ids', async () => {
    receiver = await startOtlpReceiver();
    tracing = await startTracing(
      { url: `${receiver.url}/v1/traces`, protocol: 'http/json', serviceName: 'embedded' },
      'iot-test',
      silent,
    );
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      'info',
      'test',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    );
    const bus = createInProcessEventBus();
    const batches: TelemetryPoint[][] = [];
    const point = (deviceId: string): TelemetryPoint => ({
      orgId: 'org',
      deviceId,
      ts: Date.now(),
      metrics: { power: 1 },
    });
    // Both publishes are queued before the consumer starts, so they leave in one batch.
    const publishers = await Promise.all(
      ['a', 'b'].map((deviceId) =>
        inSpan(`request ${deviceId}`, { kind: SpanKind.SERVER }, async (span) => {
          await bus.publish([point(deviceId)]);
          logger.info('published');
          return span.spanContext();
        }),
      ),
    );
    const consumer = await bus.consume(async (points) => {
      batches.push(points);
      logger.info({ points: points.length }, 'batch handled');
    });
    await eventually(async () => (batches.length > 0 ? true : undefined), 5_000, 'the batch');
    await consumer.stop();
    await bus.close();
    await tracing.shutdown();

    const batch = receiver.spans.find((span) => span.kind === SPAN_KIND.consumer);
    expect(batch?.service).toBe('embedded');
    expect(batch?.links.sort((x, y) => x.spanId.localeCompare(y.spanId))).toEqual(
      publishers
        .map(({ traceId, spanId }) => ({ traceId, spanId }))
        .sort((x, y) => x.spanId.localeCompare(y.spanId)),
    );
    expect(lines.find((line) => line.msg === 'batch handled')).toMatchObject({
      trace_id: batch?.traceId,
      span_id: batch?.spanId,
    });
    expect(lines.filter((line) => line.msg === 'published').map((line) => line.span_id)).toEqual(
      publishers.map(({ spanId }) => spanId),
    );
    expect(traceLogFields()).toEqual({});
  });
});
