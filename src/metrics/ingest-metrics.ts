import { Counter, Histogram } from 'prom-client';
import { LATENCY_BUCKETS } from './registry.js';
import { createSummedGauge } from './summed-gauge.js';

/** How a device reached ingest. */
export type IngestTransport = 'http' | 'mqtt';

export const ingestPointsAccepted = new Counter({
  name: 'ingest_points_accepted_total',
  help: 'Points accepted by ingest (the bus has them: a 202 or a PUBACK was or will be sent)',
  labelNames: ['transport'] as const,
});

/**
 * Refused requests (HTTP) and publishes and connects (MQTT), by the code of the answer
 * (README "Errors": INVALID_POINTS, UNAUTHORIZED, RATE_LIMITED, …). Counted per request, not
 * per point: a refused body is refused whole, and a body that cannot be parsed has no count.
 */
export const ingestRequestsRejected = new Counter({
  name: 'ingest_requests_rejected_total',
  help: 'Requests (HTTP) and publishes or connects (MQTT) refused by ingest, by error code',
  labelNames: ['transport', 'code'] as const,
});

export const ingestBusPublishDuration = new Histogram({
  name: 'ingest_bus_publish_duration_seconds',
  help: 'Time for the bus to take a request’s points (Kafka acknowledged, or the write-ahead log synced)',
  labelNames: ['transport'] as const,
  buckets: LATENCY_BUCKETS,
});

export const mqttConnections = createSummedGauge(
  'mqtt_connections',
  'Device connections open over MQTT (TCP, TLS and WebSocket)',
);
