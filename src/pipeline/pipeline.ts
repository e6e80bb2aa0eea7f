import type { TelemetryPoint } from '../domain/telemetry.js';
import type { Logger } from '../logger.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import type { BusConsumer, EventBus } from '../ports/event-bus.js';
import type { LiveHub } from '../ports/live-hub.js';
import type { TelemetryStore } from '../ports/telemetry-store.js';
import { createLastSeenWriter } from './last-seen-writer.js';

export interface PipelineOptions {
  bus: EventBus;
  store: TelemetryStore;
  live: LiveHub;
  devices: DeviceRepository;
  lastSeenFlushMs: number;
  logger: Logger;
}

/**
 * Bus → telemetry store → live hub, one batch at a time. The handler resolves only after the
 * batch is durable in the store and published live; only then does the bus acknowledge it
 * (Kafka: commit offsets). A failure rejects, and the bus redelivers: the store's idempotence on
 * (device, ts) makes the retry harmless.
 */
export function createPipeline(options: PipelineOptions) {
  const { bus, store, live, devices, logger } = options;
  const lastSeen = createLastSeenWriter({
    devices,
    flushIntervalMs: options.lastSeenFlushMs,
    logger,
  });
  let consumer: BusConsumer | undefined;

  async function handleBatch(points: TelemetryPoint[]) {
    await store.write(points);
    await live.publish(points);
    lastSeen.note(points);
  }

  return {
    async start() {
      consumer = await bus.consume(handleBatch);
      logger.info('pipeline consuming');
    },
    async stop() {
      await consumer?.stop();
      await lastSeen.stop();
    },
  };
}
