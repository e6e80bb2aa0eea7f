import type { TelemetryPoint } from '../domain/telemetry.js';
import type { RejectedPoint } from './telemetry-store.js';

/**
 * What a handler says about a batch it processed: the points it can never process (each the very
 * object it was given, with the reason). The bus sets them aside (Kafka: the dead-letter topic)
 * before it acknowledges the batch, so they are never lost silently and never block the rest.
 */
export interface BatchResult {
  rejected: readonly RejectedPoint[];
}

/** Resolves (with nothing, or the points refused for good) once the batch is processed. */
export type BatchHandler = (points: TelemetryPoint[]) => Promise<BatchResult | void>;

/** Whether a consumer is making progress; `reason` says why not. */
export type ConsumerHealth = { ok: true } | { ok: false; reason: string };

export interface BusConsumer {
  /**
   * Not ok while a batch has been failing for longer than a threshold (~30 s: the handler keeps
   * being retried, nothing is skipped) or the consumer crashed; ok again once a batch succeeds.
   */
  health(): ConsumerHealth;
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
   * handler resolved and the points it rejected were set aside (Kafka: produced to the
   * dead-letter topic). A rejected promise is retried, with capped backoff and no limit.
   */
  consume(handler: BatchHandler): Promise<BusConsumer>;
  /**
   * Resolves once the consumers (the pipeline) have consumed every point published on the bus
   * before the call, by any process: handled and committed. Points published after the call do
   * not hold it back. Rejects with BusUnavailableError after `timeoutMs`.
   */
  consumedThrough(timeoutMs: number): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
