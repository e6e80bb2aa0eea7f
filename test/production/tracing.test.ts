/**
 * OpenTelemetry traces of the three production processes, read the way an operator reads them:
 * each process exports over OTLP/HTTP to a receiver started by the test (a stand-in for an
 * OpenTelemetry Collector), and an ingest request's trace must lead, through the traceparent in
 * the Kafka message, to the pipeline batch that carried it and the store write and alert
 * evaluation under that batch.
 * The log lines of a request carry its trace_id and span_id.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicesDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import { createGraphQLClient, eventually, expectData } from '../support/graphql-client.js';
import { connectDevice } from '../support/mqtt-device.js';
import {
  SPAN_KIND,
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../support/otlp-receiver.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();

describe.skipIf(!services)('OpenTelemetry traces of production', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let receiver: OtlpReceiver;
  let api: RunningRole;
  let ingest: RunningRole;
  let pipeline: RunningRole;
  let device: { id: string; token: string };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await createProductionStack(services!);
    const env = {
      ...stack.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // The SDK's batch processor: export within 200 ms rather than 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '200',
      LOG_LEVEL: 'debug',
    };
    [api, ingest, pipeline] = await Promise.all([
      startRole('api', env),
      startRole('ingest', env),
      startRole('pipeline', env),
    ]);
    const admin = createGraphQLClient(api.baseUrl, stack.adminToken);
    const { registerDevice } = await expectData(
      admin(RegisterDeviceDocument, {
        input: { externalId: 'traced-1', name: 'Traced', type: 'meter' },
      }),
    );
    device = { id: registerDevice.device.id, token: registerDevice.token };
  }, 90_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), ingest?.stop(), pipeline?.stop()]);
    await stack?.cleanup();
    await receiver?.close();
  });

  /** Waits for the first span `match` accepts. */
  function spanWhere(what: string, match: (span: ReceivedSpan) => boolean) {
    return eventually(async () => receiver.spans.find(match), 30_000, what);
  }

  it('links an ingest request to the pipeline batch and the store write, across Kafka', async () => {
    // The device's own trace: ingest continues it.
    const callerTrace = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const response = await fetch(`${ingest.baseUrl}/v1/telemetry`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${device.token}`,
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
      },
      body: JSON.stringify({ ts: Date.now(), metrics: { power: 1 } }),
    });
    expect(response.status).toBe(202);

    const request = await spanWhere(
      'the ingest request span',
      (span) => span.traceId === callerTrace && span.kind === SPAN_KIND.server,
    );
    expect(request).toMatchObject({
      service: 'iot-ingest',
      name: 'POST /v1/telemetry',
      parentSpanId: callerSpan,
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': 202,
        'device.id': device.id,
        'telemetry.points': 1,
      },
    });
    const publish = await spanWhere(
      'the Kafka publish span',
      (span) => span.parentSpanId === request.spanId && span.kind === SPAN_KIND.producer,
    );
    expect(publish).toMatchObject({ service: 'iot-ingest', traceId: callerTrace });

    // The batch that carried the message: a trace of its own, linked to the publish.
    const batch = await spanWhere('the pipeline batch span', (span) =>
      span.links.some((link) => link.spanId === publish.spanId),
    );
    expect(batch).toMatchObject({ service: 'iot-pipeline', kind: SPAN_KIND.consumer });
    expect(batch.links).toContainEqual({ traceId: callerTrace, spanId: publish.spanId });
    expect(batch.traceId).not.toBe(callerTrace);
    const write = await spanWhere(
      'the store write span',
      (span) => span.parentSpanId === batch.spanId && span.name === 'telemetry store write',
    );
    expect(write).toMatchObject({ service: 'iot-pipeline', traceId: batch.traceId, status: 0 });
    await spanWhere(
      'the alert evaluation span',
      (span) => span.parentSpanId === batch.spanId && span.name === 'alert evaluation',
    );

    // The request's log line names its trace and span.
    const logged = await eventually(
      async () =>
        ingest.logs
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((entry) => entry.msg === 'request' && entry.trace_id === callerTrace),
      10_000,
      'the request log line',
    );
    expect(logged).toMatchObject({
      route: '/v1/telemetry',
      status: 202,
      span_id: request.spanId,
    });
  }, 60_000);

  it('traces an MQTT PUBLISH like an HTTP request', async () => {
    const mqttDevice = await connectDevice(`mqtt://127.0.0.1:${ingest.mqttPort}`, device.token);
    try {
      await mqttDevice.publish(JSON.stringify({ ts: Date.now(), metrics: { power: 2 } }));
    } finally {
      await mqttDevice.close();
    }
    const publish = await spanWhere(
      'the MQTT PUBLISH span',
      (span) => span.name === 'MQTT PUBLISH v1/devices/me/telemetry',
    );
    expect(publish).toMatchObject({
      service: 'iot-ingest',
      kind: SPAN_KIND.server,
      attributes: { 'device.id': device.id, 'telemetry.points': 1, 'mqtt.qos': 1 },
    });
    await spanWhere(
      'its Kafka publish span',
      (span) => span.parentSpanId === publish.spanId && span.kind === SPAN_KIND.producer,
    );
  }, 60_000);

  it('gives a GraphQL query an operation span and resolver spans under its HTTP span', async () => {
    const admin = createGraphQLClient(api.baseUrl, stack.adminToken);
    await expectData(admin(DevicesDocument, { first: 10 }));
    const operation = await spanWhere(
      'the operation span',
      (span) => span.service === 'iot-api' && span.name === 'query.Devices',
    );
    const http = receiver.spans.find((span) => span.spanId === operation.parentSpanId);
    expect(http).toMatchObject({ name: 'POST /graphql', kind: SPAN_KIND.server });
    const resolver = await spanWhere(
      'the Query.devices resolver span',
      (span) => span.parentSpanId === operation.spanId && span.name === 'Query.devices',
    );
    expect(resolver.attributes['graphql.field.path']).toBe('devices');
    // The device's latest values wait on the store (a span); lastSeenAt is a conversion (none).
    const underOperation = receiver.spans.filter((span) => span.traceId === operation.traceId);
    const fields = underOperation.map((span) => span.name);
    expect(fields).toContain('Device.latest');
    expect(fields).not.toContain('Device.lastSeenAt');
    // No argument value is recorded anywhere: they may carry secrets.
    const apiAttributes = receiver.spans
      .filter((span) => span.service === 'iot-api')
      .flatMap((span) => Object.keys(span.attributes));
    expect(apiAttributes).not.toContain('graphql.resolver.args');
    expect(apiAttributes).not.toContain('graphql.execute.variables');
  }, 60_000);
});
