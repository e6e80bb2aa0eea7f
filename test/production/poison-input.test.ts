/**
 * Issue 7's reproduction in production mode, on the real engines and processes: a string metric
 * value with a NUL (U+0000), for a device whose organization has an alert rule on that metric,
 * used to make the alert-state write fail in PostgreSQL (22P05) on every retry, so its Kafka
 * partition never moved again: no later point of any organization on it was stored, /ready went
 * 503 after 30 s, and the point never reached the dead-letter topic.
 *
 * Ingest now refuses such a value with 400; what an older ingest or another producer still put
 * on the bus is produced here straight to the topic, bypassing ingest. It must be dead-lettered
 * with its stage and reason while every other point of its batch and of its partition, of its
 * own organization and of another, is stored, and the pipeline stays ready.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { decodeMessage, encodePoints } from '../../src/adapters/event-bus/kafka-codec.js';
import { DEAD_LETTER_HEADERS } from '../../src/adapters/event-bus/kafka-consumer.js';
import { measurementOf } from '../../src/adapters/telemetry-store/influx-layout.js';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { generateDeviceToken, hashDeviceToken } from '../../src/auth/device-tokens.js';
import { CreateAlertRuleDocument } from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();

interface DeadLetter {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

describe.skipIf(!services)('production: a NUL in a string metric value (issue 7)', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  const roles: RunningRole[] = [];
  let ingest: RunningRole;
  let pipeline: RunningRole;
  let api: RunningRole;
  let kafka: Kafka;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let deadLetterReader: Consumer | undefined;

  const victimOrg = randomUUID();
  let attacker: { id: string; token: string };
  let attackerOther: { id: string; token: string };
  let victim: { id: string; token: string };

  /** The times (epoch ms) of a device's stored points, straight from InfluxDB. */
  async function storedTimes(organizationId: string, deviceId: string): Promise<number[]> {
    const response = await fetch(`${services!.influx}/query`, {
      method: 'POST',
      body: new URLSearchParams({
        db: stack.database,
        epoch: 'ms',
        q: `SELECT "mode" FROM "${measurementOf(organizationId)}" WHERE device_id::tag = $d`,
        params: JSON.stringify({ d: deviceId }),
      }),
    });
    if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as {
      results: { error?: string; series?: { values: [number, string][] }[] }[];
    };
    if (body.results[0]?.error) throw new Error(`InfluxDB: ${body.results[0].error}`);
    return (body.results[0]?.series?.[0]?.values ?? []).map(([ts]) => ts);
  }

  const stored = (point: TelemetryPoint, what: string) =>
    eventually(
      async () => (await storedTimes(point.orgId, point.deviceId)).includes(point.ts) || undefined,
      10_000,
      what,
    );

  async function pipelineReady() {
    const response = await fetch(`${pipeline.baseUrl}/ready`);
    return { status: response.status, body: await response.text() };
  }

  /** Every message of the dead-letter topic, as it arrives (one reader for the file). */
  let deadLetters: Promise<DeadLetter[]> | undefined;
  const readDeadLetters = () => (deadLetters ??= startDeadLetterReader());
  async function startDeadLetterReader() {
    const letters: DeadLetter[] = [];
    deadLetterReader = kafka.consumer({
      groupId: `${stack.env.KAFKA_GROUP_ID}-dead-letter-reader`,
    });
    await deadLetterReader.connect();
    await deadLetterReader.subscribe({
      topic: stack.env.KAFKA_DEAD_LETTER_TOPIC!,
      fromBeginning: true,
    });
    await deadLetterReader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        );
        letters.push({ key: String(message.key), value: message.value!, headers });
      },
    });
    return letters;
  }

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    // Rules are read at every batch: the rule applies to the very next point.
    const env = { ...stack.env, ALERT_RULE_CACHE_MS: '0' };
    [ingest, pipeline, api] = await Promise.all([
      startRole('ingest', env),
      startRole('pipeline', env),
      startRole('api', env),
    ]);
    roles.push(ingest, pipeline, api);
    kafka = new Kafka({
      clientId: 'poison-input-test',
      brokers: stack.env.KAFKA_BROKERS!.split(','),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();

    attacker = await stack.registerDevice('attacker');
    attackerOther = await stack.registerDevice('attacker-other');
    await stack.devices.ensureOrganization(victimOrg, 'victim organization');
    const victimToken = generateDeviceToken();
    const victimDevice = await stack.devices.createDevice(
      { organizationId: victimOrg, externalId: 'victim', name: 'victim', type: 'test' },
      hashDeviceToken(victimToken),
    );
    victim = { id: victimDevice.id, token: victimToken };

    await expectData(
      createGraphQLClient(api.baseUrl, stack.adminToken)(CreateAlertRuleDocument, {
        input: { name: 'm', metric: 'mode', condition: 'NEQ', threshold: 'auto' },
      }),
    );
  }, 90_000);

  afterAll(async () => {
    await deadLetterReader?.disconnect();
    await producer?.disconnect();
    await Promise.all(roles.map((role) => role.stop()));
    await admin
      ?.deleteTopics({ topics: [stack.env.KAFKA_TOPIC!, stack.env.KAFKA_DEAD_LETTER_TOPIC!] })
      .catch(() => undefined);
    await admin?.disconnect();
    await stack?.cleanup();
  });

  it('is refused at ingest with 400 naming the metric', async () => {
    const refused = await postTelemetry(
      ingest.baseUrl,
      attacker.token,
      '{"metrics":{"mode":"a\\u0000b"}}', // the JSON escape, as a device would send it
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'INVALID_POINTS',
      errors: [{ field: 'metrics.mode', reason: expect.stringContaining('NUL') }],
    });
  });

  it('put on the bus anyway, is dead-lettered with its reason and holds back no other point', async () => {
    onTestFailed(() => {
      const tail = pipeline.logs.slice(-30).map((line) => line.slice(0, 600));
      console.error(`pipeline log (last lines):\n${tail.join('\n')}`);
    });
    const topic = stack.env.KAFKA_TOPIC!;
    // Everything goes to the partition ingest picks for the victim's device, so the fresh point
    // posted through ingest at the end lands behind the poison too.
    const metadata = await admin!.fetchTopicMetadata({ topics: [topic] });
    const partition = Partitioners.DefaultPartitioner()({
      topic,
      partitionMetadata: metadata.topics[0]!.partitions,
      message: { key: victim.id, value: null },
    });

    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const produce = (points: TelemetryPoint[]) =>
      producer!.send({
        topic,
        acks: -1,
        messages: encodePoints(points).map(({ key, value }) => ({ key, value, partition })),
      });

    const base = Date.now() - 60_000;
    const at = (device: { id: string }, orgId: string, ts: number, mode: string) => ({
      orgId,
      deviceId: device.id,
      ts,
      metrics: { mode },
    });
    const poison = at(attacker, stack.organizationId, base, 'a\u0000b');
    const victimPoint = at(victim, victimOrg, base + 1, 'eco');
    const otherPoint = at(attackerOther, stack.organizationId, base + 2, 'eco');
    // One produce: the poison first, in one batch with another organization's point and one of
    // another device of its own organization.
    await produce([poison, victimPoint, otherPoint]);
    await stored(victimPoint, "the victim's point of the poison's batch");
    await stored(otherPoint, "the attacker's other device's point of the poison's batch");

    // Later batches of the same partition, of both organizations.
    const victimLater = at(victim, victimOrg, base + 3, 'manual');
    const otherLater = at(attackerOther, stack.organizationId, base + 4, 'manual');
    await produce([victimLater, otherLater]);
    await stored(victimLater, "the victim's point of a later batch");
    await stored(otherLater, "the attacker's other device's point of a later batch");

    const letters = await readDeadLetters();
    await eventually(async () => letters.length > 0 || undefined, 15_000, 'the dead letter');
    const [letter] = letters;
    // Encoded like any telemetry message (key = device id): it can be replayed as it is.
    expect(decodeMessage(letter!.value)).toEqual([poison]);
    expect(letter!.key).toBe(attacker.id);
    const reason = letter!.headers[DEAD_LETTER_HEADERS.reason];
    // Refused before any stage, by the rule ingest applies: so never stored either.
    expect(reason).toBe('admission: metrics.mode must not contain NUL (U+0000)');
    expect(await storedTimes(poison.orgId, poison.deviceId)).not.toContain(poison.ts);
    expect(letter!.headers[DEAD_LETTER_HEADERS.topic]).toBe(topic);
    expect(letter!.headers[DEAD_LETTER_HEADERS.partition]).toBe(String(partition));
    expect(letter!.headers[DEAD_LETTER_HEADERS.offset]).toBe('0'); // the partition's first

    // Ready, and still ready a little later: no batch is stuck.
    let ready = await pipelineReady();
    expect(ready.status, ready.body).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    ready = await pipelineReady();
    expect(ready.status, ready.body).toBe(200);

    // A fresh point through ingest, onto the same partition, is stored within seconds.
    const fresh = at(victim, victimOrg, Date.now() - 500, 'auto');
    const accepted = await postTelemetry(
      ingest.baseUrl,
      victim.token,
      JSON.stringify({ ts: fresh.ts, metrics: fresh.metrics }),
    );
    expect(accepted.status).toBe(202);
    await stored(fresh, "the victim's fresh point posted through ingest");
    // It was the partition's sixth message: behind the poison's, as meant.
    const offsets = await admin!.fetchTopicOffsets(topic);
    expect(offsets.find((entry) => entry.partition === partition)?.high).toBe('6');

    // Dead-lettered once, not once per retry.
    expect(letters).toHaveLength(1);
  }, 60_000);

  it('refused by the store for a reason of its own (a field type conflict), is dead-lettered and holds back nothing', async () => {
    // Accepted by ingest (it cannot know the field's type in InfluxDB), refused by InfluxDB.
    const base = Date.now() - 30_000;
    const post = (token: string, ts: number, metrics: Record<string, number | string>) =>
      postTelemetry(ingest.baseUrl, token, JSON.stringify({ ts, metrics }));
    expect((await post(attackerOther.token, base, { mode: 'eco', level: 1 })).status).toBe(202);
    await stored(
      { orgId: stack.organizationId, deviceId: attackerOther.id, ts: base, metrics: {} },
      'a numeric level',
    );
    const conflicting = { mode: 'eco', level: 'high' };
    expect((await post(attackerOther.token, base + 1, conflicting)).status).toBe(202);
    const victimTs = base + 2;
    expect((await post(victim.token, victimTs, { mode: 'eco' })).status).toBe(202);
    await stored(
      { orgId: victimOrg, deviceId: victim.id, ts: victimTs, metrics: {} },
      "the victim's point",
    );

    const letters = await readDeadLetters();
    const letter = await eventually(
      async () => letters.find((entry) => decodeMessage(entry.value)[0]?.ts === base + 1),
      15_000,
      'the dead letter of the conflicting point',
    );
    expect(decodeMessage(letter.value)).toEqual([
      {
        orgId: stack.organizationId,
        deviceId: attackerOther.id,
        ts: base + 1,
        metrics: conflicting,
        receivedAt: expect.any(Number),
      },
    ]);
    // InfluxDB's own words, as the README promises.
    expect(letter.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/field type conflict/);
    const ready = await pipelineReady();
    expect(ready.status, ready.body).toBe(200);
  }, 60_000);
});
