import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../logger.js';

/** kafkajs's level threshold matching the pino logger's, so kafkajs never builds unused entries. */
export function kafkaLogLevel(logger: Logger | undefined): logLevel {
  if (!logger) return logLevel.NOTHING;
  if (logger.isLevelEnabled('debug')) return logLevel.DEBUG;
  if (logger.isLevelEnabled('info')) return logLevel.INFO;
  if (logger.isLevelEnabled('warn')) return logLevel.WARN;
  return logLevel.ERROR;
}

/**
 * kafkajs entries that are no alarm for this bus, logged at debug instead of their own level.
 * - A CreateTopics response with errors is logged as an error by the connection before the admin
 *   client reads it, on every start on existing topics: `createTopics` then resolves false for
 *   TOPIC_ALREADY_EXISTS and throws anything else to our caller, which reports it.
 * - The producer's retries are limited on purpose (kafka-event-bus.ts: fail fast, ingest answers
 *   503 and the device retries); the bus relies on idempotent stores, not on exactly-once.
 */
function isExpected(namespace: string, message: string, fields: Record<string, unknown>): boolean {
  if (namespace === 'Connection' && message.startsWith('Response CreateTopics(')) {
    return fields.error === 'Topic creation errors';
  }
  return message === 'Limiting retries for the idempotent producer may invalidate EoS guarantees';
}

/**
 * Bridges kafkajs's logs into pino (kafkajs otherwise prints its own JSON to the console). The
 * entry's `message` becomes pino's message; the rest (broker, groupId, error, stack…) its fields.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...fields } = log;
      // pino stamps its own time; kafkajs's `logger: 'kafkajs'` adds nothing.
      const entry: Record<string, unknown> = { ...fields, kafkaNamespace: namespace };
      delete entry.timestamp;
      delete entry.logger;
      switch (isExpected(namespace, message, fields) ? logLevel.DEBUG : level) {
        case logLevel.ERROR:
          logger.error(entry, message);
          break;
        case logLevel.WARN:
          logger.warn(entry, message);
          break;
        case logLevel.INFO:
          logger.info(entry, message);
          break;
        default:
          logger.debug(entry, message);
      }
    };
}
