import type { TelemetryPoint } from '../domain/telemetry.js';
import type { Logger } from '../logger.js';
import type { AlertRepository } from '../ports/alert-repository.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import type { BatchResult, BusConsumer, ConsumerHealth, EventBus } from '../ports/event-bus.js';
import type { LiveHub } from '../ports/live-hub.js';
import type { TelemetryStore } from '../ports/telemetry-store.js';
import { createAlertEvaluator } from './alert-evaluator.js';
import { createLastSeenWriter } from './last-seen-writer.js';

export interface PipelineOptions {
  bus: EventBus;
  store: TelemetryStore;
  live: LiveHub;
  devices: DeviceRepository;
  alerts: AlertRepository;
  lastSeenFlushMs: number;
  /** How long an organization's alert rules are reused before being read again. */
  alertRuleCacheMs?: number;
  logger: Logger;
}

/**
 * Bus → telemetry store → live hub → alert rules, one batch at a time. The handler resolves only
 * after the batch is durable in the store, published live and evaluated against the alert rules
 * (states saved); only then does the bus acknowledge it
 * (Kafka: commit offsets). A failure rejects, and the bus redelivers: the store's idempotence on
 * (device, ts) makes the retry harmless. Points the store refuses for good are neither published
 * live nor cached as latest values (subscribers would see what no query can find); they go back
 * to the bus as rejected, which sets them aside (Kafka: the dead-letter topic) with the reason.
 */
export function createPipeline(options: PipelineOptions) {
  const { bus, store, live, devices, logger } = options;
  const lastSeen = createLastSeenWriter({
    devices,
    flushIntervalMs: options.lastSeenFlushMs,
    logger,
  });
  const alertEvaluator = createAlertEvaluator({
    alerts: options.alerts,
    devices,
    publish: (events) => live.publishAlerts(events),
    ruleCacheMs: options.alertRuleCacheMs,
  });
  let consumer: BusConsumer | undefined;

  async function handleBatch(points: TelemetryPoint[]): Promise<BatchResult> {
    const { rejected } = await store.write(points);
    const refused = new Set(rejected.map(({ point }) => point));
    const stored = refused.size === 0 ? points : points.filter((point) => !refused.has(point));
    if (stored.length > 0) {
      await live.publish(stored);
      await alertEvaluator.evaluate(stored);
    }
    // The device did report, even if the store refused some of what it said.
    lastSeen.note(points);
    return { rejected };
  }

  return {
    async start() {
      consumer = await bus.consume(handleBatch);
      logger.info('pipeline consuming');
    },
    /** For /ready: not ok before start, and while the consumer is stuck or crashed. */
    health(): ConsumerHealth {
      return consumer?.health() ?? { ok: false, reason: 'not consuming yet' };
    },
    async stop() {
      await consumer?.stop();
      await lastSeen.stop();
    },
  };
}
