import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS } from './registry.js';

export const pipelineBatchPoints = new Histogram({
  name: 'pipeline_batch_points',
  help: 'Points per batch the pipeline takes from the bus',
  buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000],
});

export const pipelineStoreWriteDuration = new Histogram({
  name: 'pipeline_store_write_duration_seconds',
  help: 'Time of one write of points to the telemetry store (InfluxDB, or DuckDB embedded)',
  buckets: LATENCY_BUCKETS,
});

export const pipelinePointsWritten = new Counter({
  name: 'pipeline_points_written_total',
  help: 'Points the telemetry store has durably',
});

/** `stage`: admission, store or alert_evaluation (README "Dead letters"). */
export const pipelinePointsDeadLettered = new Counter({
  name: 'pipeline_points_dead_lettered_total',
  help: 'Points set aside for good with their reason, by the stage that refused them',
  labelNames: ['stage'] as const,
});

/** How far a consumer is behind, per partition of the topic it reads. */
export interface PartitionLag {
  topic: string;
  partition: number;
  messages: number;
}

const lagSources = new Set<() => Promise<PartitionLag[]>>();

new Gauge({
  name: 'pipeline_consumer_lag_messages',
  help: 'Messages on the bus not yet processed by the consumer group, per partition',
  labelNames: ['topic', 'partition'] as const,
  async collect() {
    // Asked at scrape time (two admin requests to Kafka), so a stuck consumer's lag still grows.
    this.reset();
    const lags = await Promise.all([...lagSources].map((source) => source().catch(() => [])));
    for (const { topic, partition, messages } of lags.flat()) {
      this.set({ topic, partition: String(partition) }, messages);
    }
  },
});

/** Reports `source`'s lag until the function returned is called. */
export function trackConsumerLag(source: () => Promise<PartitionLag[]>): () => void {
  lagSources.add(source);
  return () => lagSources.delete(source);
}

export const alertEvaluations = new Counter({
  name: 'alert_evaluations_total',
  help: 'Alert rule evaluations (one per rule and device with new points, or per sweep)',
  labelNames: ['kind'] as const,
});

/** `outcome`: delivered, retried (to be tried again) or failed (given up). */
export const notificationDeliveries = new Counter({
  name: 'notification_deliveries_total',
  help: 'Notification delivery attempts, by channel type and outcome',
  labelNames: ['channel_type', 'outcome'] as const,
});

export const connectivityTransitions = new Counter({
  name: 'connectivity_transitions_total',
  help: 'Devices turning ONLINE or OFFLINE',
  labelNames: ['state'] as const,
});

/**
 * `upkeep`: `appended` (rows extended with the new points) or `recomputed` (read again whole: a
 * duplicate, a late or an out-of-order point). InfluxDB only (influx-rollup-writer.ts).
 */
export const pipelineRollupSeries = new Counter({
  name: 'pipeline_rollup_series_total',
  help: 'Series (a device’s metric) whose rollup rows a write brought up to date, by how',
  labelNames: ['upkeep'] as const,
});
