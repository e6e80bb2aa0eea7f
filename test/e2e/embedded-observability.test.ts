/**
 * The embedded app as `npm start` runs it, observed the way production is: the Prometheus
 * `/metrics` it prints the URL of (on its own port, behind METRICS_TOKEN) counts what it was
 * sent, and with OTEL_EXPORTER_OTLP_ENDPOINT set it exports traces in which the in-process bus's
 * batch is linked to the ingest request whose points it carried, as Kafka's headers link them in
 * production (test/production/metrics.test.ts and tracing.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterDeviceDocument } from '../generated/graphql.js';
import { makeDataDir } from '../support/embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';
import { startEmbeddedProcess, type RunningEmbedded } from '../support/processes.js';

const METRICS_TOKEN = 'embedded-metrics-0123456789';

describe('the embedded app, observed', () => {
  let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
  let receiver: OtlpReceiver;
  let app: RunningEmbedded;
  let metricsUrl: string;
  let deviceId: string;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    receiver = await startOtlpReceiver();
    app = await startEmbeddedProcess({
      DATA_DIR: dataDir.dir,
      METRICS_PORT: '0',
      METRICS_TOKEN,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    metricsUrl = app.logs
      .map((line) => /Metrics:\s+(http:\/\/\S+\/metrics)/.exec(line)?.[1])
      .find(Boolean)!;
    const admin = createGraphQLClient(app.baseUrl, app.adminToken);
    const { registerDevice } = await expectData(
      admin(RegisterDeviceDocument, { input: { externalId: 'seen-1', name: 'Seen', type: 'm' } }),
    );
    deviceId = registerDevice.device.id;
    for (let seq = 0; seq < 3; seq++) {
      const body = JSON.stringify({ ts: Date.now() + seq, metrics: { power: seq } });
      expect((await postTelemetry(app.baseUrl, registerDevice.token, body)).status).toBe(202);
    }
    expect((await postTelemetry(app.baseUrl, registerDevice.token, '{"ts":1}')).status).toBe(400);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
    await dataDir?.remove();
  });

  /** One sample's value from the exposition text, or undefined. */
  function sample(text: string, series: string): number | undefined {
    const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  it('serves /metrics on its own port, behind the token, counting what it was sent', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await fetch(`${app.baseUrl}/metrics`)).status).toBe(404);
    expect((await fetch(metricsUrl)).status).toBe(401);
    const text = await eventually(
      async () => {
        const response = await fetch(metricsUrl, {
          headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        });
        const body = await response.text();
        return sample(body, 'pipeline_points_written_total') === 3 ? body : undefined;
      },
      15_000,
      'three points written',
    );
    expect(sample(text, 'ingest_points_accepted_total{transport="http"}')).toBe(3);
    expect(
      sample(text, 'ingest_requests_rejected_total{transport="http",code="INVALID_POINTS"}'),
    ).toBe(1);
    expect(
      sample(
        text,
        'graphql_envelop_request{operationName="RegisterDevice",operationType="mutation"}',
      ),
    ).toBe(1);
    expect(text).not.toContain(deviceId);
  });

  it('traces an ingest request to the in-process batch and its store write', async () => {
    const requests = await eventually(
      async () => {
        const found = receiver.spans.filter((span) => span.name === 'POST /v1/telemetry');
        return found.length === 4 ? found : undefined;
      },
      15_000,
      'four ingest request spans',
    );
    expect(new Set(requests.map((span) => span.service))).toEqual(new Set(['iot-analytics']));
    const accepted = requests.filter(
      (span) => span.attributes['http.response.status_code'] === 202,
    );
    expect(accepted).toHaveLength(3);
    const batches = await eventually(
      async () => {
        const found = receiver.spans.filter((span) => span.kind === SPAN_KIND.consumer);
        const linked = new Set(found.flatMap((span) => span.links.map((link) => link.spanId)));
        return accepted.every((request) => linked.has(request.spanId)) ? found : undefined;
      },
      15_000,
      'batch spans linked to every accepted request',
    );
    const writes = receiver.spans.filter((span) => span.name === 'telemetry store write');
    for (const batch of batches) {
      expect(writes.some((write) => write.parentSpanId === batch.spanId)).toBe(true);
    }
  });
});
