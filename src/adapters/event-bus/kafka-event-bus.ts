import { SpanKind } from '@opentelemetry/api';
import { Kafka, Partitioners, type Consumer } from 'kafkajs';
import type { Logger } from '../../logger.js';
import { trackConsumerLag } from '../../metrics/pipeline-metrics.js';
import type { BusConsumer, EventBus } from '../../ports/event-bus.js';
import {
  describeKafkaError,
  kafkaSecurityOptions,
  type KafkaSecurity,
} from '../connections/kafka.js';
import { BusUnavailableError } from './errors.js';
import { createConsumerHealth, type ConsumerHealthOptions } from './consumer-health.js';
import { chunkBySize, encodePoints, MAX_MESSAGE_BYTES } from './kafka-codec.js';
import { createBatchProcessor, watchConsumerCrashes } from './kafka-consumer.js';
import { consumerLag, createConsumedThrough } from './kafka-group-progress.js';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-logger.js';
import { createSendQueue } from './kafka-send-queue.js';
import { traceHeaders } from './kafka-trace-headers.js';
import { inSpan } from '../../tracing/spans.js';

export interface KafkaEventBusOptions extends KafkaSecurity {
  brokers: string[];
  clientId: string;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  /**
   * Partitions of the topics when this bus creates them (KAFKA_PARTITIONS, 6 by default); bounds
   * the pipeline's scale-out: each partition is consumed by one member of the group.
   */
  partitions?: number;
  logger?: Logger;
  /** A publish not acknowledged within this time fails with BusUnavailableError. */
  publishTimeoutMs?: number;
  /** Upper bound of the wait between retries of a failing consumer handler. */
  maxRetryDelayMs?: number;
  /** When a consumer reports itself unhealthy (a batch failing for longer than ~30 s). */
  health?: ConsumerHealthOptions;
}

/** Rejects with BusUnavailableError when `work` takes longer than `ms`. */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BusUnavailableError(`${what} timed out after ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The production bus: Kafka through kafkajs. Publish resolves once every in-sync replica acked
 * (idempotent producer, acks=-1), and fails within seconds when the brokers are unreachable, so
 * ingest answers 503 + Retry-After instead of holding devices' requests. Consumers commit a batch
 * only after the handler resolved (at least once; the store's idempotence absorbs redeliveries).
 */
export function createKafkaEventBus(options: KafkaEventBusOptions): EventBus {
  const { brokers, clientId, topic, deadLetterTopic, groupId, logger } = options;
  const { partitions = 6, publishTimeoutMs = 10_000, maxRetryDelayMs } = options;

  // kafkajs defaults (retries with up to 30 s waits, and MAX_SAFE_INTEGER retries for an
  // idempotent producer) make an unreachable broker look like a hung request; fail fast instead
  // and let the caller (ingest's 503, the consumer's own loop) decide when to try again.
  const retry = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 };
  const kafka = new Kafka({
    clientId,
    brokers,
    // TLS and SASL for managed brokers (KAFKA_SSL, KAFKA_SASL_*): the CA file is read here, so a
    // missing one fails the process's start.
    ...kafkaSecurityOptions(options),
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry,
    logLevel: kafkaLogLevel(logger),
    ...(logger ? { logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })) } : {}),
  });
  const admin = kafka.admin({ retry });
  const producer = kafka.producer({
    idempotent: true,
    // kafkajs does not re-sequence retried batches, which Kafka needs for >1 in flight (KAFKA-5494).
    maxInFlightRequests: 1,
    // A little more patience than the admin: right after a topic is created or a broker restarts,
    // partition leadership settles within a few seconds ("not the leader"), well inside the
    // publish deadline; a refused connection still fails at once.
    retry: { ...retry, retries: 6 },
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const enqueue = createSendQueue(async (messages) => {
    await producer.send({ topic, acks: -1, messages });
  }, MAX_MESSAGE_BYTES);
  const consumers = new Set<Consumer>();
  let closed = false;

  /** Memoized while it succeeds; a failure is forgotten so the next call tries again. */
  function once(run: () => Promise<void>): () => Promise<void> {
    let pending: Promise<void> | undefined;
    return () => {
      pending ??= run().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    };
  }

  const connectAdmin = once(() => admin.connect());
  const ensureTopics = once(async () => {
    await connectAdmin();
    // Resolves false (no error) for topics that already exist.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: partitions },
        { topic: deadLetterTopic, numPartitions: partitions },
      ],
    });
  });
  const consumedThrough = createConsumedThrough(
    async () => {
      await ensureTopics();
      return admin;
    },
    groupId,
    topic,
  );
  const connectProducer = once(async () => {
    await ensureTopics();
    await producer.connect();
  });

  return {
    async publish(points) {
      if (closed) throw new BusUnavailableError('the event bus is closed');
      if (points.length === 0) return;
      try {
        await within(
          publishTimeoutMs,
          'publishing to Kafka',
          inSpan(
            `${topic} publish`,
            {
              kind: SpanKind.PRODUCER,
              attributes: {
                'messaging.system': 'kafka',
                'messaging.operation.type': 'send',
                'messaging.destination.name': topic,
                'telemetry.points': points.length,
              },
            },
            async () => {
              await connectProducer();
              const messages = encodePoints(points);
              const headers = traceHeaders();
              if (headers) for (const message of messages) message.headers = headers;
              await Promise.all(chunkBySize(messages).map(enqueue));
            },
          ),
        );
      } catch (error) {
        if (error instanceof BusUnavailableError) throw error;
        // "kafka: SASL authentication failed (…)", "kafka: certificate not trusted (…)", …
        throw new BusUnavailableError(
          `Kafka did not accept the points: ${describeKafkaError(error).reason}`,
          { cause: error },
        );
      }
    },

    async consume(handler): Promise<BusConsumer> {
      // Dead-lettering produces.
      await connectProducer().catch((error: unknown) => {
        throw describeKafkaError(error);
      });
      const consumer = kafka.consumer({
        groupId,
        retry: { ...retry, retries: 10 },
        // stop() waits for the pending long-poll fetch: 1 s (not 5 s) keeps shutdowns and
        // rebalances quick, for one idle fetch per broker per second.
        maxWaitTimeInMs: 1_000,
      });
      consumers.add(consumer);
      const health = createConsumerHealth(options.health);
      watchConsumerCrashes(consumer, health, logger);
      try {
        await consumer.connect();
        // A new group starts from the earliest offset: points accepted before the pipeline first
        // ran are still processed.
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          // Partitions are independent (order only matters within a device, so within one
          // partition): processing a few at once overlaps one batch's InfluxDB write with the next.
          partitionsConsumedConcurrently: Math.min(partitions, 3),
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: createBatchProcessor({
            producer,
            deadLetterTopic,
            handler,
            health,
            ...(logger ? { logger } : {}),
            ...(maxRetryDelayMs !== undefined ? { maxRetryDelayMs } : {}),
          }),
        });
      } catch (error) {
        consumers.delete(consumer);
        await consumer.disconnect().catch(() => {});
        // The pipeline's start fails with the engine and the cause (a refused password, an
        // untrusted certificate), not kafkajs's retry count.
        throw describeKafkaError(error);
      }
      const untrackLag = trackConsumerLag(() => consumerLag(admin, groupId, topic));
      let stopping: Promise<void> | undefined;
      return {
        health: () => health.health(),
        stop() {
          untrackLag();
          // disconnect() stops first, waiting for the in-flight batch (and its commit).
          stopping ??= consumer.disconnect().finally(() => consumers.delete(consumer));
          return stopping;
        },
      };
    },

    consumedThrough,

    async ping() {
      try {
        await within(
          3_000,
          'Kafka ping',
          (async () => {
            await connectAdmin();
            await admin.describeCluster();
          })(),
        );
      } catch (error) {
        throw describeKafkaError(error);
      }
    },

    async close() {
      closed = true;
      await Promise.all([...consumers].map((consumer) => consumer.disconnect()));
      consumers.clear();
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}
