import { z } from 'zod';
import { list, optionalString, requireAll } from './fields.js';

/** Kafka, production's event bus: ingest publishes to the topic, the pipeline consumes it. */
export const kafkaSettings = z
  .object({
    KAFKA_BROKERS: optionalString.pipe(list.optional()),
    KAFKA_CLIENT_ID: z.string().default('iot-analytics'),
    KAFKA_TOPIC: z.string().default('telemetry'),
    KAFKA_DEAD_LETTER_TOPIC: z.string().default('telemetry.dead-letter'),
    KAFKA_GROUP_ID: z.string().default('iot-analytics-pipeline'),
  })
  .transform((env) =>
    env.KAFKA_BROKERS
      ? {
          brokers: env.KAFKA_BROKERS,
          clientId: env.KAFKA_CLIENT_ID,
          topic: env.KAFKA_TOPIC,
          deadLetterTopic: env.KAFKA_DEAD_LETTER_TOPIC,
          groupId: env.KAFKA_GROUP_ID,
        }
      : undefined,
  );

export const kafkaRequired = requireAll<z.input<typeof kafkaSettings>>('KAFKA_BROKERS');
