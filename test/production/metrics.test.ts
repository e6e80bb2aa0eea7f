/**
 * Prometheus metrics of the three production processes, read the way an operator reads them:
 * Debian's Prometheus scrapes each process's /metrics port (with METRICS_TOKEN as its bearer
 * token), and after real traffic (HTTP and MQTT ingest, a refused body, a forged token, GraphQL
 * queries and an error, a live subscription, an alert rule that fires and notifies a webhook, a
 * device coming online) each series is asked for over Prometheus's HTTP API and must have moved.
 */
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAlertRuleDocument,
  CreateNotificationChannelDocument,
  DevicesDocument,
  LiveTelemetryDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { connectDevice } from '../support/mqtt-device.js';
import { startNotificationReceiver } from '../support/notification-receiver.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';
import { findPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

const services = await findProductionServices();
const prometheusBinary = await findPrometheus();
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

describe.skipIf(!services || !prometheusBinary)('Prometheus metrics of production', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let api: RunningRole;
  let ingest: RunningRole;
  let pipeline: RunningRole;
  let prometheus: RunningPrometheus;
  let webhooks: Awaited<ReturnType<typeof startNotificationReceiver>>;

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    webhooks = await startNotificationReceiver(() => 204);
    const env = {
      ...stack.env,
      METRICS_TOKEN,
      // The alert's webhook is this test's receiver, on 127.0.0.1.
      NOTIFICATION_ALLOWED_NETWORKS: '127.0.0.0/8',
      NOTIFICATION_POLL_MS: '100',
      ALERT_RULE_CACHE_MS: '0',
    };
    [api, ingest, pipeline] = await Promise.all([
      startRole('api', env),
      startRole('ingest', env),
      startRole('pipeline', env),
    ]);
    prometheus = await startPrometheus({
      binary: prometheusBinary!,
      targets: [api, ingest, pipeline].map((role) => ({
        job: role.role,
        address: `127.0.0.1:${role.metricsPort}`,
        bearerToken: METRICS_TOKEN,
      })),
    });
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([api?.stop(), ingest?.stop(), pipeline?.stop()]);
    await webhooks?.close();
    await stack?.cleanup();
  });

  /** Waits until `promql` has a sample above `floor` (labels: what the series must carry). */
  async function expectMoved(promql: string, floor = 0) {
    const samples = await prometheus.waitFor(
      promql,
      (found) => found.some((sample) => sample.value > floor),
      30_000,
    );
    return samples;
  }

  it('keeps /metrics off the public port and behind the token', async () => {
    expect((await fetch(`${api.baseUrl}/metrics`)).status).toBe(404);
    const metricsUrl = `http://127.0.0.1:${api.metricsPort}/metrics`;
    expect((await fetch(metricsUrl)).status).toBe(401);
    const withToken = await fetch(metricsUrl, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain('process_resident_memory_bytes');
    const targets = await prometheus.waitForTarget('pipeline', 'up', 30_000);
    expect(targets).toHaveLength(1);
  });

  it('counts ingest, the pipeline, GraphQL and live traffic, with bounded labels', async () => {
    const admin = createGraphQLClient(api.baseUrl, stack.adminToken);
    const { registerDevice } = await expectData(
      admin(RegisterDeviceDocument, {
        input: { externalId: 'metrics-1', name: 'Metered', type: 'meter' },
      }),
    );
    const { id } = registerDevice.device;
    const token = registerDevice.token;
    // An alert rule the points below cross (power > 5), routed to a webhook.
    const { createNotificationChannel } = await expectData(
      admin(CreateNotificationChannelDocument, {
        input: { name: 'metrics', kind: 'WEBHOOK', url: `${webhooks.url}/metrics` },
      }),
    );
    await expectData(
      admin(CreateAlertRuleDocument, {
        input: {
          name: 'power too high',
          metric: 'power',
          condition: 'GT',
          threshold: 5,
          channelIds: [createNotificationChannel.channel.id],
        },
      }),
    );

    const live = liveClient(api.baseUrl, stack.adminToken);
    const received: unknown[] = [];
    const unsubscribe = live.subscribe(
      { query: print(LiveTelemetryDocument), variables: { deviceIds: [id] } },
      { next: (message) => received.push(message), error: () => undefined, complete: () => {} },
    );
    try {
      await expectMoved('live_subscriptions{job="api"}');

      const base = Date.now();
      for (let seq = 0; seq < 10; seq++) {
        const body = JSON.stringify({ ts: base + seq, metrics: { power: seq } });
        expect((await postTelemetry(ingest.baseUrl, token, body)).status).toBe(202);
      }
      expect((await postTelemetry(ingest.baseUrl, token, '{"ts": "soon"}')).status).toBe(400);
      expect((await postTelemetry(ingest.baseUrl, 'forged-token', '{}')).status).toBe(401);
      const device = await connectDevice(`mqtt://127.0.0.1:${ingest.mqttPort}`, token);
      try {
        await device.publish(JSON.stringify({ ts: base + 10, metrics: { power: 10 } }));
        await expectMoved('mqtt_connections{job="ingest"}');
      } finally {
        await device.close();
      }
      await eventually(async () => (received.length > 0 ? true : undefined), 30_000, 'live');

      await expectData(admin(DevicesDocument, { first: 10 }));
      const invalid = await admin(DevicesDocument, { first: -1 });
      expect(invalid.errors?.length).toBeGreaterThan(0);

      // Ingest: points accepted per transport, refusals by code, bus publish latency.
      // Until a scrape has seen both transports: the MQTT point may land after the last scrape.
      const accepted = await prometheus.waitFor(
        'ingest_points_accepted_total{job="ingest"}',
        (found) => ['http', 'mqtt'].every((t) => found.some((s) => s.metric.transport === t)),
        30_000,
      );
      const byTransport = Object.fromEntries(accepted.map((s) => [s.metric.transport, s.value]));
      expect(byTransport).toEqual({ http: 10, mqtt: 1 });
      await expectMoved(
        'ingest_requests_rejected_total{job="ingest",transport="http",code="INVALID_POINTS"}',
      );
      await expectMoved('auth_failures_total{job="ingest"}');
      await expectMoved('ingest_bus_publish_duration_seconds_count{job="ingest"}');
      await expectMoved('http_request_duration_seconds_count{job="ingest",route="/v1/telemetry"}');

      // Pipeline: every point written, in batches, consumer lag reported per partition.
      await expectMoved('pipeline_points_written_total{job="pipeline"}', 10);
      await expectMoved('pipeline_batch_points_count{job="pipeline"}');
      await expectMoved('pipeline_store_write_duration_seconds_count{job="pipeline"}');
      await expectMoved('pipeline_rollup_series_total{job="pipeline",upkeep="appended"}');
      const lag = await prometheus.waitFor(
        'pipeline_consumer_lag_messages{job="pipeline"}',
        (found) => found.length > 0,
        30_000,
      );
      expect(lag.every((sample) => sample.metric.partition !== undefined)).toBe(true);

      // Alerts, their notification, the device's connectivity.
      await expectMoved('alert_evaluations_total{job="pipeline",kind="threshold"}');
      await expectMoved(
        'notification_deliveries_total{job="pipeline",channel_type="webhook",outcome="delivered"}',
      );
      await expectMoved('connectivity_transitions_total{job="pipeline",state="online"}');

      // GraphQL: operations by name, errors by extensions.code.
      await expectMoved(
        'graphql_envelop_request{job="api",operationName="Devices",operationType="query"}',
      );
      const errors = await expectMoved('graphql_envelop_error_result{job="api"}');
      expect(errors.map((sample) => sample.metric.code)).not.toContain(undefined);
      await expectMoved('http_request_duration_seconds_count{job="api"}');
      await expectMoved('process_resident_memory_bytes{job="pipeline"}');

      // No label anywhere holds a device or an organization id.
      const everySeries = await prometheus.series('{job=~"api|ingest|pipeline"}');
      const labelValues = everySeries.flatMap((labels) => Object.values(labels));
      expect(labelValues).not.toContain(id);
      expect(labelValues).not.toContain(stack.organizationId);
    } finally {
      unsubscribe();
      await live.dispose();
    }
  }, 120_000);
});
