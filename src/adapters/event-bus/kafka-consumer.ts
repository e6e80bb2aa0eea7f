import { trace } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage, Producer } from 'kafkajs';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import type { Logger } from '../../logger.js';
import type { BatchHandler } from '../../ports/event-bus.js';
import type { RejectedPoint } from '../../ports/telemetry-store.js';
import { backoffDelay, sleep } from './backoff.js';
import { ERROR_LOG_AFTER_ATTEMPTS, type ConsumerHealthTracker } from './consumer-health.js';
import { decodeMessage, encodePoints, UndecodableMessageError } from './kafka-codec.js';
import { spanContextOf } from './kafka-trace-headers.js';
import { inBatchSpan } from '../../tracing/spans.js';

export interface BatchProcessorOptions {
  producer: Producer;
  deadLetterTopic: string;
  handler: BatchHandler;
  logger?: Logger;
  /** Upper bound of the wait between retries of a failing handler. */
  maxRetryDelayMs?: number;
  /** Told about every failing and succeeding batch, per partition (for /ready). */
  health?: ConsumerHealthTracker;
}

/** Headers a dead-lettered message carries, so an operator can find and replay the original. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dead-letter-reason',
  topic: 'x-original-topic',
  partition: 'x-original-partition',
  offset: 'x-original-offset',
} as const;

/** One produce to the dead-letter topic: what it carries and where it came from. */
interface DeadLetter {
  messages: { key: string | Buffer | null; value: Buffer | null; headers: IHeaders }[];
  /** For the log line. */
  offset: string | undefined;
  reason: string;
}

/** Waits `ms`, in slices, heartbeating so the group does not evict us while a handler is down. */
async function waitHeartbeating(ms: number, payload: EachBatchPayload) {
  const until = Date.now() + ms;
  while (Date.now() < until && payload.isRunning() && !payload.isStale()) {
    await payload.heartbeat();
    await sleep(Math.min(500, until - Date.now()));
  }
}

function originHeaders(
  headers: IHeaders | undefined,
  reason: string,
  topic: string,
  partition: number,
  offset: string | undefined,
): IHeaders {
  return {
    ...headers,
    [DEAD_LETTER_HEADERS.reason]: reason,
    [DEAD_LETTER_HEADERS.topic]: topic,
    [DEAD_LETTER_HEADERS.partition]: String(partition),
    ...(offset === undefined ? {} : { [DEAD_LETTER_HEADERS.offset]: offset }),
  };
}

/**
 * Points the handler refused, as dead letters: one produce per original message (its points are
 * at most one Kafka message's worth, so the produce fits), one message per (device, reason),
 * encoded like any telemetry message so they can be replayed onto the topic as they are.
 */
function rejectedLetters(
  rejected: readonly RejectedPoint[],
  origins: Map<TelemetryPoint, KafkaMessage>,
  topic: string,
  partition: number,
): DeadLetter[] {
  const byOrigin = new Map<KafkaMessage | undefined, Map<string, TelemetryPoint[]>>();
  for (const { point, reason } of rejected) {
    const origin = origins.get(point);
    const byReason = byOrigin.get(origin) ?? new Map<string, TelemetryPoint[]>();
    byOrigin.set(origin, byReason);
    const points = byReason.get(reason);
    if (points) points.push(point);
    else byReason.set(reason, [point]);
  }
  const letters: DeadLetter[] = [];
  for (const [origin, byReason] of byOrigin) {
    for (const [reason, points] of byReason) {
      // Without an origin (the handler handed back a copy), the offset is unknown.
      const headers = originHeaders(origin?.headers, reason, topic, partition, origin?.offset);
      const messages = encodePoints(points).map(({ key, value }) => ({ key, value, headers }));
      letters.push({ messages, offset: origin?.offset, reason });
    }
  }
  return letters;
}

/**
 * kafkajs `eachBatch` for one partition's batch: decode, hand every decodable point to the
 * handler, set aside what can never be processed, and only then commit. A failing handler is
 * retried with capped backoff and no limit (an outage must not lose points: no commit, no skip)
 * until it succeeds, the consumer stops or the partition is reassigned; in the last two cases
 * the batch stays uncommitted and is redelivered to whoever owns it next. Messages that can
 * never be decoded, and points the handler rejects for good (e.g. a field type conflict in
 * InfluxDB), go to the dead-letter topic with the reason before the commit, so one poison
 * message cannot block its partition and nothing is dropped without a trace.
 */
export function createBatchProcessor(options: BatchProcessorOptions) {
  const { producer, deadLetterTopic, handler, logger, maxRetryDelayMs = 5_000, health } = options;

  async function send(letter: DeadLetter, topic: string, partition: number) {
    logger?.error(
      {
        topic,
        partition,
        offset: letter.offset,
        reason: letter.reason,
        messages: letter.messages.length,
      },
      'dead-lettered',
    );
    await producer.send({ topic: deadLetterTopic, acks: -1, messages: letter.messages });
  }

  /** One span per batch (inBatchSpan), linked to the publish of each message it carries. */
  return async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    return inBatchSpan(
      `${batch.topic} process`,
      {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': batch.topic,
        'messaging.destination.partition.id': String(batch.partition),
        'messaging.batch.message_count': batch.messages.length,
      },
      () => batch.messages.map((message) => spanContextOf(message.headers)),
      () => processBatch(payload),
    );
  };

  async function processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const key = `partition ${batch.topic}/${batch.partition}`;
    const stillOurs = () => payload.isRunning() && !payload.isStale();

    /** Runs `work` until it succeeds; false when the batch is no longer ours to finish. */
    async function retrying(what: string, points: number, work: () => Promise<void>) {
      for (let attempt = 0; ; attempt++) {
        try {
          await work();
          return true;
        } catch (err) {
          if (!stillOurs()) return false;
          health?.failed(key, err);
          trace.getActiveSpan()?.addEvent(`${what} failed`, { attempt, error: String(err) });
          const delay = backoffDelay(attempt, maxRetryDelayMs);
          const fields = { err, partition: batch.partition, points, attempt, delay };
          // Retrying forever is right for an outage, but it must be seen: errors after a few.
          if (attempt + 1 >= ERROR_LOG_AFTER_ATTEMPTS) logger?.error(fields, `${what} failing`);
          else logger?.warn(fields, `${what} failed; retrying`);
          await waitHeartbeating(delay, payload);
          if (!stillOurs()) return false;
        }
      }
    }

    const points: TelemetryPoint[] = [];
    const origins = new Map<TelemetryPoint, KafkaMessage>();
    const letters: DeadLetter[] = [];
    for (const message of batch.messages) {
      try {
        for (const point of decodeMessage(message.value)) {
          points.push(point);
          origins.set(point, message);
        }
      } catch (error) {
        if (!(error instanceof UndecodableMessageError)) throw error;
        const { key: messageKey, value, offset } = message;
        const headers = originHeaders(
          message.headers,
          error.message,
          batch.topic,
          batch.partition,
          offset,
        );
        letters.push({
          messages: [{ key: messageKey, value, headers }],
          offset,
          reason: error.message,
        });
      }
    }

    if (points.length > 0) {
      const handled = await retrying('batch handler', points.length, async () => {
        const result = await handler(points);
        if (result && result.rejected.length > 0) {
          letters.push(...rejectedLetters(result.rejected, origins, batch.topic, batch.partition));
        }
      });
      if (!handled) {
        health?.forget(key); // uncommitted: redelivered to whoever owns the partition next
        return;
      }
    }

    // A failing dead-letter produce is retried alone: the handler's writes are already durable.
    for (let index = 0; index < letters.length; index++) {
      const letter = letters[index]!;
      const sent = await retrying('dead-letter produce', letter.messages.length, () =>
        send(letter, batch.topic, batch.partition),
      );
      if (!sent) {
        health?.forget(key);
        return;
      }
    }

    payload.resolveOffset(batch.lastOffset());
    // With autoCommit off, commitOffsetsIfNecessary() alone never commits; passing the offsets
    // commits them now, and (unlike consumer.commitOffsets) even while the consumer is stopping,
    // so stop() leaves the in-flight batch committed.
    await payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
    health?.succeeded(key);
  }
}

export type BatchProcessor = ReturnType<typeof createBatchProcessor>;

/**
 * Reports a kafkajs consumer's crashes to `health` (and the log): a crash kafkajs restarts from
 * is cleared once the consumer has rejoined its group; one it does not restart from stays.
 */
export function watchConsumerCrashes(
  consumer: Consumer,
  health: ConsumerHealthTracker,
  logger?: Logger,
) {
  consumer.on(consumer.events.CRASH, ({ payload: { error, restart } }) => {
    logger?.error({ err: error, restart }, 'Kafka consumer crashed');
    health.crashed(`${error.message}${restart ? ' (restarting)' : ' (not restarting)'}`);
    if (!restart) return;
    // kafkajs rebuilds the runner on restart; rejoining the group means it runs again.
    const rejoined = consumer.on(consumer.events.GROUP_JOIN, () => {
      rejoined();
      health.restarted();
    });
  });
}
