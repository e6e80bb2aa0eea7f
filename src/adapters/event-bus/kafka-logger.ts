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
      switch (level) {
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
