import type { EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type { BatchHandler } from '../../ports/event-bus.js';
import { backoffDelay, sleep } from './backoff.js';
import { decodeMessage, UndecodableMessageError } from './kafka-codec.js';

export interface BatchProcessorOptions {
  producer: Producer;
  deadLetterTopic: string;
  handler: BatchHandler;
  logger?: Logger;
  /** Upper bound of the wait between retries of a failing handler. */
  maxRetryDelayMs?: number;
}

/** Headers a dead-lettered message carries, so an operator can find and replay the original. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dead-letter-reason',
  topic: 'x-original-topic',
  partition: 'x-original-partition',
  offset: 'x-original-offset',
} as const;

/** Waits `ms`, in slices, heartbeating so the group does not evict us while a handler is down. */
async function waitHeartbeating(ms: number, payload: EachBatchPayload) {
  const until = Date.now() + ms;
  while (Date.now() < until && payload.isRunning() && !payload.isStale()) {
    await payload.heartbeat();
    await sleep(Math.min(500, until - Date.now()));
  }
}

/**
 * kafkajs `eachBatch` for one partition's batch: decode, hand every decodable point to the
 * handler, and commit only after it resolved. A failing handler is retried with capped backoff
 * (no commit, no skip) until it succeeds, the consumer stops or the partition is reassigned; in
 * the last two cases the batch stays uncommitted and is redelivered to whoever owns it next.
 * Messages that can never be decoded go to the dead-letter topic, so one poison message cannot
 * block its partition forever.
 */
export function createBatchProcessor(options: BatchProcessorOptions) {
  const { producer, deadLetterTopic, handler, logger, maxRetryDelayMs = 5_000 } = options;

  async function deadLetter(
    message: KafkaMessage,
    topic: string,
    partition: number,
    reason: string,
  ) {
    logger?.error({ topic, partition, offset: message.offset, reason }, 'message dead-lettered');
    await producer.send({
      topic: deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            [DEAD_LETTER_HEADERS.reason]: reason,
            [DEAD_LETTER_HEADERS.topic]: topic,
            [DEAD_LETTER_HEADERS.partition]: String(partition),
            [DEAD_LETTER_HEADERS.offset]: message.offset,
          },
        },
      ],
    });
  }

  return async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const points: TelemetryPoint[] = [];
    for (const message of batch.messages) {
      try {
        for (const point of decodeMessage(message.value)) points.push(point);
      } catch (error) {
        if (!(error instanceof UndecodableMessageError)) throw error;
        await deadLetter(message, batch.topic, batch.partition, error.message);
      }
    }

    if (points.length > 0) {
      for (let attempt = 0; ; attempt++) {
        try {
          await handler(points);
          break;
        } catch (err) {
          if (!payload.isRunning() || payload.isStale()) return; // uncommitted: redelivered later
          const delay = backoffDelay(attempt, maxRetryDelayMs);
          logger?.warn(
            { err, partition: batch.partition, points: points.length, attempt, delay },
            'batch handler failed; retrying',
          );
          await waitHeartbeating(delay, payload);
          if (!payload.isRunning() || payload.isStale()) return;
        }
      }
    }

    payload.resolveOffset(batch.lastOffset());
    // With autoCommit off, commitOffsetsIfNecessary() alone never commits; passing the offsets
    // commits them now, and (unlike consumer.commitOffsets) even while the consumer is stopping,
    // so stop() leaves the in-flight batch committed.
    await payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
  };
}

export type BatchProcessor = ReturnType<typeof createBatchProcessor>;
