import { z } from 'zod';
import { flag, list, optionalString, positiveInt, readableFile, requireAll } from './fields.js';

const saslMechanism = z.enum(['plain', 'scram-sha-256', 'scram-sha-512']);

/**
 * Kafka, production's event bus: ingest publishes to the topic, the pipeline consumes it.
 *
 * KAFKA_PARTITIONS is the partition count of the topic (and its dead-letter topic) when the bus
 * creates them; a topic that exists keeps its own (raise it with `kafka-topics --alter
 * --partitions`). **The pipeline's scale-out is bounded by it**: a consumer group gives each
 * partition to one member, so pipeline processes beyond the partition count sit idle.
 *
 * Managed Kafka: KAFKA_SSL=true speaks TLS to the brokers, verified against Node's public CAs or
 * KAFKA_SSL_CA_FILE; KAFKA_SASL_MECHANISM (plain, scram-sha-256, scram-sha-512) with
 * KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD authenticates. PLAIN sends the password as it is,
 * so it is refused without TLS.
 */
export const kafkaSettings = z
  .object({
    KAFKA_BROKERS: optionalString.pipe(list.optional()),
    KAFKA_CLIENT_ID: z.string().default('iot-analytics'),
    KAFKA_TOPIC: z.string().default('telemetry'),
    KAFKA_DEAD_LETTER_TOPIC: z.string().default('telemetry.dead-letter'),
    KAFKA_GROUP_ID: z.string().default('iot-analytics-pipeline'),
    KAFKA_PARTITIONS: positiveInt(6),
    KAFKA_SSL: flag(false),
    KAFKA_SSL_CA_FILE: optionalString.pipe(readableFile.optional()),
    KAFKA_SASL_MECHANISM: optionalString.pipe(
      z
        .string()
        .transform((text) => text.toLowerCase())
        .pipe(saslMechanism)
        .optional(),
    ),
    KAFKA_SASL_USERNAME: optionalString,
    KAFKA_SASL_PASSWORD: optionalString,
  })
  .superRefine((env, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (env.KAFKA_SSL_CA_FILE && !env.KAFKA_SSL) {
      problem('KAFKA_SSL_CA_FILE', 'needs KAFKA_SSL=true');
    }
    if (env.KAFKA_SASL_MECHANISM) {
      for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
        if (!env[key]) problem(key, 'is required with KAFKA_SASL_MECHANISM');
      }
      if (env.KAFKA_SASL_MECHANISM === 'plain' && !env.KAFKA_SSL) {
        problem(
          'KAFKA_SASL_MECHANISM',
          'plain needs KAFKA_SSL=true (it sends the password as it is)',
        );
      }
    } else {
      for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
        if (env[key]) problem(key, 'needs KAFKA_SASL_MECHANISM');
      }
    }
  })
  .transform((env) =>
    env.KAFKA_BROKERS
      ? {
          brokers: env.KAFKA_BROKERS,
          clientId: env.KAFKA_CLIENT_ID,
          topic: env.KAFKA_TOPIC,
          deadLetterTopic: env.KAFKA_DEAD_LETTER_TOPIC,
          groupId: env.KAFKA_GROUP_ID,
          /** Partitions of the topics the bus creates: the most pipeline processes that share work. */
          partitions: env.KAFKA_PARTITIONS,
          /** TLS to the brokers; `caFile` undefined: Node's public CAs. */
          ssl: env.KAFKA_SSL ? { caFile: env.KAFKA_SSL_CA_FILE } : undefined,
          sasl: env.KAFKA_SASL_MECHANISM
            ? {
                mechanism: env.KAFKA_SASL_MECHANISM,
                username: env.KAFKA_SASL_USERNAME!,
                password: env.KAFKA_SASL_PASSWORD!,
              }
            : undefined,
        }
      : undefined,
  );

export type KafkaSaslMechanism = z.output<typeof saslMechanism>;

export const kafkaRequired = requireAll<z.input<typeof kafkaSettings>>('KAFKA_BROKERS');
