import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSaslMechanism } from '../../config/kafka.js';
import { readCaFile } from './ca-file.js';
import { describeConnectionError, type Classifier } from './engine-errors.js';

/** How the bus reaches managed brokers: TLS (with a CA file, or Node's public CAs) and SASL. */
export interface KafkaSecurity {
  ssl?: { caFile?: string | undefined } | undefined;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string } | undefined;
}

/** kafkajs's `ssl` and `sasl` for the settings (none: plaintext, no authentication). */
export function kafkaSecurityOptions(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { ssl, sasl } = security;
  return {
    ...(ssl ? { ssl: ssl.caFile ? { ca: [readCaFile('kafka', ssl.caFile)] } : true } : {}),
    // The three mechanisms share one shape; kafkajs's union wants the literal per member.
    ...(sasl ? { sasl: { ...sasl } as SASLOptions } : {}),
  };
}

const classifyKafka: Classifier = (error) => {
  if (error.name === 'KafkaJSSASLAuthenticationError') {
    return { failure: 'authentication', message: `SASL authentication failed (${error.message})` };
  }
  return undefined;
};

/** A kafkajs failure as "kafka: <cause>" (engine-errors.ts). */
export const describeKafkaError = (error: unknown) =>
  describeConnectionError('kafka', error, classifyKafka);
