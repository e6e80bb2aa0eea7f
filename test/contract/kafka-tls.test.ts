/**
 * Kafka over TLS with SASL, the way managed Kafka asks for it, on the broker's SASL_SSL listener
 * (scripts/services/kafka.sh): the settings a process loads (src/config/kafka.ts) through the
 * production adapter factory to a round trip; a wrong password and a CA that did not sign the
 * broker's certificate refused with the engine and the cause; secrets in neither logs nor config
 * errors.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineConnectionError } from '../../src/adapters/connections/engine-errors.js';
import { BusUnavailableError } from '../../src/adapters/event-bus/errors.js';
import { productionAdapters } from '../../src/app/production-adapters.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import type { EventBus } from '../../src/ports/event-bus.js';
import { createLogger } from '../../src/logger.js';
import {
  capturedLines,
  findSecureService,
  productionConfig,
  testCa,
} from '../support/secure-services.js';
import { uniqueSuffix } from '../support/services.js';

const kafka = await findSecureService('kafka');

const point = (deviceId: string, ts: number): TelemetryPoint => ({
  orgId: 'org-tls',
  deviceId,
  ts,
  metrics: { temperature: ts },
});

describe.skipIf(!kafka)('Kafka over TLS with SASL (SASL_SSL listener)', () => {
  const topics: string[] = [];
  const buses: EventBus[] = [];
  const log = capturedLines();
  const logger = createLogger('debug', 'kafka-tls-test', log.destination);

  /** KAFKA_* of a process on the secure listener, topics of its own. */
  function settings(overrides: Record<string, string> = {}) {
    const suffix = uniqueSuffix();
    return {
      KAFKA_BROKERS: kafka!.brokers,
      KAFKA_TOPIC: `test.tls.${suffix}`,
      KAFKA_DEAD_LETTER_TOPIC: `test.tls.${suffix}.dead-letter`,
      KAFKA_GROUP_ID: `test-tls-${suffix}`,
      KAFKA_CLIENT_ID: `test-tls-${suffix}`,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: testCa.file,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: kafka!.scram.username,
      KAFKA_SASL_PASSWORD: kafka!.scram.password,
      ...overrides,
    };
  }
  /** The bus a pipeline process would make from those settings. */
  function busFor(env: Record<string, string>) {
    const bus = productionAdapters.bus(productionConfig('pipeline', env), logger);
    buses.push(bus);
    return bus;
  }

  /** A client of the test's own (not the product's) on the same listener, for the topics. */
  const admin = new Kafka({
    clientId: 'test-tls-admin',
    brokers: kafka?.brokers.split(',') ?? [],
    ssl: kafka ? { ca: [readFileSync(testCa.file, 'utf8')] } : undefined,
    sasl: kafka ? { mechanism: 'plain', ...kafka.plain } : undefined,
    logLevel: logLevel.NOTHING,
  }).admin();

  afterAll(async () => {
    await Promise.allSettled(buses.map((bus) => bus.close()));
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect();
    // Whatever was logged on the way (kafkajs at debug included), no password is in it.
    const logged = log.lines.join('');
    for (const secret of [kafka!.scram.password, kafka!.plain.password, 'not-the-password']) {
      expect(logged).not.toContain(secret);
    }
  });

  async function roundTrip(env: Record<string, string>) {
    topics.push(env.KAFKA_TOPIC!, env.KAFKA_DEAD_LETTER_TOPIC!);
    const bus = busFor(env);
    await bus.ping();
    const received: TelemetryPoint[] = [];
    const consumer = await bus.consume(async (points) => {
      received.push(...points);
    });
    const sent = [point('dev-1', 1), point('dev-2', 2)];
    await bus.publish(sent);
    await expect.poll(() => received.length, { timeout: 20_000 }).toBe(2);
    expect(received).toEqual(expect.arrayContaining(sent));
    await consumer.stop();
  }

  it('publishes and consumes with SCRAM-SHA-512, the topics made with KAFKA_PARTITIONS', async () => {
    const env = settings({ KAFKA_PARTITIONS: '4' });
    await roundTrip(env);
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({
      topics: [env.KAFKA_TOPIC, env.KAFKA_DEAD_LETTER_TOPIC],
    });
    await admin.disconnect();
    expect(metadata.topics.map((topic) => topic.partitions.length)).toEqual([4, 4]);
  });

  it('publishes and consumes with SASL PLAIN', async () => {
    await roundTrip(
      settings({
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: kafka!.plain.username,
        KAFKA_SASL_PASSWORD: kafka!.plain.password,
      }),
    );
  });

  it('answers ping with SCRAM-SHA-256 (mechanism names in any case)', async () => {
    await busFor(settings({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' })).ping();
  });

  it('refuses a wrong password: "kafka: SASL authentication failed"', async () => {
    for (const mechanism of ['scram-sha-512', 'plain']) {
      const username = mechanism === 'plain' ? kafka!.plain.username : kafka!.scram.username;
      const bus = busFor(
        settings({
          KAFKA_SASL_MECHANISM: mechanism,
          KAFKA_SASL_USERNAME: username,
          KAFKA_SASL_PASSWORD: 'not-the-password',
        }),
      );
      // Readiness (ping), the pipeline's start (consume) and ingest's publish all say why.
      const refused = await bus.ping().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(EngineConnectionError);
      expect(refused).toMatchObject({ engine: 'kafka', failure: 'authentication' });
      expect((refused as Error).message).toMatch(/^kafka: SASL authentication failed \(/);
      await expect(bus.consume(async () => {})).rejects.toThrow(
        /^kafka: SASL authentication failed/,
      );
      const publish = await bus.publish([point('dev-1', 1)]).catch((error: unknown) => error);
      expect(publish).toBeInstanceOf(BusUnavailableError);
      expect((publish as Error).message).toMatch(
        /^Kafka did not accept the points: SASL authentication failed/,
      );
    }
  });

  it('refuses a broker certificate its CA did not sign: "kafka: certificate not trusted"', async () => {
    const bus = busFor(settings({ KAFKA_SSL_CA_FILE: testCa.otherFile }));
    const refused = await bus.ping().catch((error: unknown) => error);
    expect(refused).toMatchObject({ engine: 'kafka', failure: 'untrusted-certificate' });
    expect((refused as Error).message).toBe(
      'kafka: certificate not trusted (self-signed certificate in certificate chain)',
    );
    // Without a CA file, Node's public CAs: the test CA is not one of them.
    const publicCas = busFor(settings({ KAFKA_SSL_CA_FILE: '' }));
    await expect(publicCas.ping()).rejects.toThrow(/^kafka: certificate not trusted/);
  });

  it('lists bad TLS and SASL settings, never echoing the password', () => {
    const secret = 'a-password-that-must-not-show';
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ MODE: 'production', ...settings(), ...env }, 'ingest');
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return '';
    };
    const message = problems({
      KAFKA_SSL: 'false',
      KAFKA_SSL_CA_FILE: testCa.file,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_PASSWORD: secret,
    });
    expect(message).toContain('KAFKA_SSL_CA_FILE: needs KAFKA_SSL=true');
    expect(message).toContain(
      'KAFKA_SASL_MECHANISM: plain needs KAFKA_SSL=true (it sends the password as it is)',
    );
    expect(message).not.toContain(secret);
    expect(problems({ KAFKA_SASL_PASSWORD: '' })).toContain(
      'KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM',
    );
    expect(problems({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_PASSWORD: secret })).not.toContain(
      secret,
    );
    expect(problems({ KAFKA_SSL_CA_FILE: '/nonexistent/ca.crt' })).toContain(
      'KAFKA_SSL_CA_FILE: cannot read /nonexistent/ca.crt (ENOENT)',
    );
    expect(problems({ KAFKA_PARTITIONS: '0' })).toMatch(/KAFKA_PARTITIONS: /);
  });
});
