import type { TelemetryPoint } from '../domain/telemetry.js';

export type BatchHandler = (points: TelemetryPoint[]) => Promise<void>;

export interface BusConsumer {
  stop(): Promise<void>;
}

/**
 * Carries accepted points from ingest to the pipeline: an in-process queue embedded, Kafka
 * (keyed by device id) in production. Delivery is at least once; the telemetry store's
 * idempotence turns redeliveries into no-ops.
 */
export interface EventBus {
  /** Resolves once the batch is durable on the bus (Kafka: acked by all in-sync replicas). */
  publish(points: readonly TelemetryPoint[]): Promise<void>;
  /**
   * Delivers batches to `handler`; a batch counts as consumed (offsets committed) only after the
   * handler resolves. A rejected handler is retried.
   */
  consume(handler: BatchHandler): Promise<BusConsumer>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
