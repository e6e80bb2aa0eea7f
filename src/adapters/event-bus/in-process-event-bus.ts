import type { SpanContext } from '@opentelemetry/api';
import { trackConsumerLag } from '../../metrics/pipeline-metrics.js';
import { activeSpanContext, inBatchSpan, tracingOn } from '../../tracing/spans.js';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type { BatchHandler, BusConsumer, EventBus } from '../../ports/event-bus.js';
import { backoffDelay, sleep } from './backoff.js';
import {
  createConsumerHealth,
  ERROR_LOG_AFTER_ATTEMPTS,
  type ConsumerHealthOptions,
} from './consumer-health.js';
import { BusOverloadedError, BusUnavailableError } from './errors.js';
import { openFileDeadLetters } from './file-dead-letters.js';
import { openFileWal, type FileWal } from './file-wal.js';

export interface InProcessEventBusOptions {
  logger?: Logger;
  /** Above this many unconsumed points, publish refuses (ingest answers 503) instead of growing. */
  maxQueuedPoints?: number;
  batchSize?: number;
  /**
   * When set, publish resolves only once the batch is fsynced to this write-ahead log, and
   * batches not consumed before a crash are replayed on the next start.
   */
  walPath?: string;
  /** Above this size, the log is compacted to the unconsumed points. */
  walMaxBytes?: number;
  /**
   * Where points the handler rejects for good are appended (NDJSON, with the reason) before their
   * batch is acknowledged; without it they are only logged.
   */
  deadLetterPath?: string;
  /** When the consumer reports itself unhealthy (a batch failing for longer than ~30 s). */
  health?: ConsumerHealthOptions;
}

/**
 * The embedded bus: a FIFO queue in this process, drained by one consumer in batches. A batch
 * leaves the queue only after the handler resolved, so a failing store delays points but never
 * drops or reorders them. Without `walPath`, queued points die with the process; with it, a
 * resolved publish survives a kill (redelivery of already-stored points is harmless: the store is
 * idempotent on (device, ts)). Points a handler rejects for good (poison input: see
 * src/pipeline/pipeline.ts) are logged at error level with their reason and appended to the
 * dead-letter file before their batch leaves the queue.
 */
export function createInProcessEventBus(options: InProcessEventBusOptions = {}): EventBus {
  const { logger, maxQueuedPoints = 1_000_000, batchSize = 5_000 } = options;
  let queue: TelemetryPoint[] = [];
  let head = 0;
  let wake: (() => void) | undefined;
  let consuming: Promise<void> | undefined;
  let stopped = false;
  const health = createConsumerHealth(options.health);
  const KEY = 'the in-process queue';

  const queued = () => queue.length - head;
  /** Points consumed from queues let go of (queue[0] is point number `dropped` of all time). */
  let dropped = 0;
  const consumedSoFar = () => dropped + head;
  const consumedWaiters = new Set<{ count: number; resolve: () => void }>();
  function wakeConsumedWaiters() {
    for (const waiter of consumedWaiters) {
      if (consumedSoFar() >= waiter.count) {
        consumedWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
  /** While tracing: the span that published each queued point, for its batch's links. */
  const origins = new WeakMap<TelemetryPoint, SpanContext>();
  const wal: FileWal | undefined =
    options.walPath === undefined
      ? undefined
      : openFileWal({
          path: options.walPath,
          maxBytes: options.walMaxBytes,
          unconsumed: () => queue.slice(head),
          onError: (err, action) => logger?.warn({ err }, `write-ahead log ${action} failed`),
        });
  for (const batch of wal?.replayed ?? []) for (const point of batch) queue.push(point);
  const deadLetters =
    options.deadLetterPath === undefined ? undefined : openFileDeadLetters(options.deadLetterPath);

  async function loop(handler: BatchHandler) {
    while (!stopped || queued() > 0) {
      if (queued() === 0) {
        if (stopped) break;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const batch = queue.slice(head, head + batchSize);
      for (let attempt = 0; ; attempt++) {
        try {
          const handled = await inBatchSpan(
            'in-process process',
            { 'messaging.batch.message_count': batch.length },
            () => batch.map((point) => origins.get(point)),
            () => handler(batch),
          );
          const rejected = handled?.rejected ?? [];
          // A failed append retries the batch: the handler does not redo stages it finished.
          await deadLetters?.append(rejected);
          for (const { point, reason } of rejected) {
            logger?.error(
              {
                orgId: point.orgId,
                deviceId: point.deviceId,
                ts: point.ts,
                reason,
                deadLettered: deadLetters?.total,
              },
              deadLetters ? 'point dead-lettered' : 'point refused for good; dropped',
            );
          }
          health.succeeded(KEY);
          break;
        } catch (error) {
          health.failed(KEY, error);
          const delay = backoffDelay(attempt);
          const fields = { err: error, points: batch.length, attempt, delay };
          if (attempt + 1 >= ERROR_LOG_AFTER_ATTEMPTS)
            logger?.error(fields, 'batch failing; retrying');
          else logger?.warn(fields, 'batch failed; retrying');
          if (stopped && attempt >= 3) return; // shutting down: leave the rest undelivered.
          await sleep(delay);
        }
      }
      head += batch.length;
      const consumed = consumedSoFar();
      // Points are queued before their log write, so an empty queue means every logged line is
      // consumed, including any whose write is still in flight (the log runs the reset after it).
      if (queued() === 0) {
        wal?.reset();
        // Nothing waits: let go of what was consumed.
        queue = [];
        head = 0;
        dropped = consumed;
      } else if (head > 65_536 && head * 2 > queue.length) {
        // Compact once the consumed prefix dominates, so memory follows the backlog, not history.
        queue = queue.slice(head);
        head = 0;
        dropped = consumed;
      }
      wakeConsumedWaiters();
    }
  }

  return {
    async publish(points) {
      // Unavailable, not a bug: during shutdown ingest should answer 503 + Retry-After.
      if (stopped) throw new BusUnavailableError('the event bus is closed');
      if (queued() + points.length > maxQueuedPoints) throw new BusOverloadedError(queued());
      for (const point of points) queue.push(point);
      const origin = tracingOn() ? activeSpanContext() : undefined;
      if (origin) for (const point of points) origins.set(point, origin);
      wake?.();
      wake = undefined;
      await wal?.append(points);
    },
    async consume(handler): Promise<BusConsumer> {
      if (consuming) throw new Error('the in-process bus supports one consumer');
      consuming = loop(handler);
      // The embedded bus's one "partition": the points queued and not yet consumed.
      const untrackLag = trackConsumerLag(async () => [
        { topic: 'in-process', partition: 0, messages: queued() },
      ]);
      return {
        health: () => health.health(),
        async stop() {
          untrackLag();
          stopped = true;
          wake?.();
          await consuming;
        },
      };
    },
    consumedThrough(timeoutMs) {
      // Points are numbered in queue order: everything queued so far must have been consumed.
      const count = dropped + queue.length;
      if (consumedSoFar() >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          consumedWaiters.delete(waiter);
          reject(new BusUnavailableError(`the pipeline did not catch up within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        consumedWaiters.add(waiter);
      });
    },
    async ping() {},
    async close() {
      stopped = true;
      wake?.();
      await consuming;
      await wal?.close();
    },
  };
}
