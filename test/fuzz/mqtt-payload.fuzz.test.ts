/**
 * Property-based fuzzing of MQTT ingest's payloads, on the real embedded app with MQTT on: over
 * MQTT 5 connections (the `mqtt` client), fast-check publishes batches of payloads to
 * `v1/devices/me/telemetry`, each batch sent at once as a busy device sends them: the ingest
 * fuzzer's bodies (near-valid points with one field changed, extreme numbers, deep nesting,
 * malformed JSON, invalid UTF-8, bodies around the byte limit), well-formed bodies, arbitrary
 * bytes, arbitrary JSON values, very deep nesting, numbers of 100,000 digits, and empty.
 *
 * Properties:
 * - at QoS 1 every PUBACK is success (0) or "payload format invalid" (0x99) with a reason
 *   string; never another code, never a dropped connection; a well-formed body gets 0;
 * - after each batch, a second device on its own connection still gets its point acknowledged
 *   within seconds, and at the end every point so acknowledged is stored;
 * - at QoS 0 (no answer to give), garbage leaves the connection open: a QoS 1 publish after it
 *   on the same connection is acknowledged.
 *
 * Budgets, seeds and FUZZ_SURVEY as in ingest.fuzz.test.ts (fuzz-support.ts); a longer run:
 *   FUZZ_RUNS=1000 npx vitest run test/fuzz/mqtt-payload.fuzz.test.ts
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import type { IPubackPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawTelemetryDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import { createGraphQLClient, eventually, expectData } from '../support/graphql-client.js';
import { connectDevice, TELEMETRY_TOPIC } from '../support/mqtt-device.js';
import { fuzz, fuzzBudget, printedAs, Violation } from './fuzz-support.js';
import { useFuzzedApp } from './fuzzed-app.js';
import { anyRequest } from './ingest-bodies.js';
import { invalidUtf8 } from './ingest-edge-bodies.js';
import { legalRequest } from './ingest-legal-bodies.js';
import { INGEST_LIMITS_ENV, MAX_BODY_BYTES } from './ingest-limits.js';
import { visible } from './string-escapes.js';

/**
 * The largest payload sent: a packet holds at most the body limit plus 4,096 bytes
 * (mqtt-ingest.ts), of which the topic and headers take a few dozen.
 */
const LARGEST_PAYLOAD = MAX_BODY_BYTES + 4_000;

const app = useFuzzedApp({ ...INGEST_LIMITS_ENV, MQTT_PORT: '0' });

type Device = Awaited<ReturnType<typeof connectDevice>>;

interface Payload {
  shape: string;
  bytes: Buffer;
  /** A well-formed JSON body (MQTT takes JSON only, not NDJSON): must be acknowledged with 0. */
  legal: boolean;
}

function payload(shape: string, bytes: Buffer | string, legal = false): Payload {
  return printedAs(
    { shape, bytes: Buffer.from(bytes), legal },
    (value) =>
      `${value.shape}, ${value.bytes.length} bytes: ${
        isUtf8(value.bytes)
          ? visible(value.bytes.toString('utf8'), 400)
          : `0x${value.bytes.subarray(0, 200).toString('hex')}`
      }`,
  );
}

const anyPayload: fc.Arbitrary<Payload> = fc.oneof(
  {
    weight: 8,
    arbitrary: anyRequest
      // Many points can outgrow a packet: refused with DISCONNECT 0x95 (mqtt-transport.test.ts).
      .filter((request) => request.body.length <= LARGEST_PAYLOAD)
      .map((request) => payload(request.shape, request.body)),
  },
  {
    weight: 3,
    arbitrary: legalRequest
      .filter(({ request }) => request.contentType === 'application/json')
      .map(({ request }) => payload(`well-formed ${request.shape}`, request.body, true)),
  },
  { weight: 2, arbitrary: invalidUtf8.map((request) => payload(request.shape, request.body)) },
  {
    weight: 2,
    arbitrary: fc
      .uint8Array({ maxLength: 512 })
      .map((bytes) => payload('bytes', Buffer.from(bytes))),
  },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 5 })
      .map((value) => payload('any JSON', JSON.stringify(value) ?? '')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: Math.floor(MAX_BODY_BYTES / 7) }), fc.boolean())
      .map(([depth, arrays]) =>
        payload(
          `nested ${depth} deep`,
          arrays
            ? `[${'['.repeat(depth)}${']'.repeat(depth)}]`
            : `{"metrics":{"deep":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`,
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 300, max: 100_000 }), fc.constantFrom('', '-', '0.', '1e'))
      .map(([digits, prefix]) =>
        payload(`${digits}-digit number`, `{"metrics":{"n":${prefix}${'9'.repeat(digits)}}}`),
      ),
  },
  { weight: 1, arbitrary: fc.constant(payload('empty', '')) },
);

const batch = fc.array(anyPayload, { minLength: 1, maxLength: 5 });

type Ack = { code: number; reason: string | undefined } | 'closed';

/** Publishes at QoS 1; resolves with the PUBACK's reason code and string, or `closed`. */
function publish(device: Device, bytes: Buffer | string): Promise<Ack> {
  const acked = new Promise<Ack>((resolve) => {
    device.client.publish(TELEMETRY_TOPIC, bytes, { qos: 1 }, (error, packet) => {
      if (!error) return resolve({ code: 0, reason: undefined });
      // A refusal calls back with the PUBACK; a connection lost, with no packet.
      const puback = packet?.cmd === 'puback' ? (packet as IPubackPacket) : undefined;
      resolve(
        puback
          ? { code: puback.reasonCode ?? 0, reason: puback.properties?.reasonString }
          : 'closed',
      );
    });
  });
  return Promise.race([acked, device.ended.then(() => 'closed' as const)]);
}

const hex = (code: number) => `0x${code.toString(16).padStart(2, '0')}`;
const mqttUrl = () => `mqtt://127.0.0.1:${app.mqtt!.tcp}`;

async function registerDevice(externalId: string) {
  const { registerDevice } = await expectData(
    createGraphQLClient(app.baseUrl, app.adminToken)(RegisterDeviceDocument, {
      input: { externalId, name: externalId, type: 'fuzzer' },
    }),
  );
  return { id: registerDevice.device.id, token: registerDevice.token };
}

let fuzzed: { id: string; token: string };
let witness: { id: string; token: string };
/** Each device's connection: opened again after a run that lost it (a failure, reported). */
const connections = new Map<string, Device>();
/** The timestamps of the witness's acknowledged points, each distinct. */
const witnessed: number[] = [];

beforeAll(async () => {
  fuzzed = await registerDevice('fuzz-mqtt');
  witness = await registerDevice('fuzz-mqtt-witness');
});
afterAll(async () => {
  for (const device of connections.values()) await device.close();
});

async function connected(token: string): Promise<Device> {
  const open = connections.get(token);
  if (open?.client.connected) return open;
  await open?.close();
  const device = await connectDevice(mqttUrl(), token);
  connections.set(token, device);
  return device;
}

/** How the server ended a connection, for a report. */
async function ending(device: Device) {
  const { reasonCode, reason } = await device.ended;
  return reasonCode === null ? 'no DISCONNECT' : `DISCONNECT ${hex(reasonCode)} ${reason}`;
}

/** How an acknowledgement went wrong, or undefined: 0, or 0x99 with a reason. */
async function ackProblem(device: Device, ack: Ack, sent: Payload): Promise<Violation | undefined> {
  const what = fc.stringify(sent);
  if (ack === 'closed') {
    return new Violation(`the connection was dropped (${await ending(device)})`, what);
  }
  if (ack.code !== 0 && ack.code !== 0x99) {
    return new Violation(`PUBACK ${hex(ack.code)}`, `${ack.reason}: ${what}`);
  }
  if (ack.code === 0x99 && !ack.reason) return new Violation('0x99 without a reason', what);
  if (sent.legal && ack.code !== 0) {
    return new Violation('a well-formed body was refused', `${ack.reason}: ${what}`);
  }
  return undefined;
}

/** The witness publishes a fresh point on its own connection: acknowledged within 5 s. */
async function witnessIsServed() {
  const device = await connected(witness.token);
  const ts = Math.max((witnessed.at(-1) ?? 0) + 1, Date.now());
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, 5_000, 'late')));
  const ack = await Promise.race([
    publish(device, JSON.stringify({ ts, metrics: { witness: witnessed.length } })),
    late,
  ]);
  clearTimeout(timer);
  if (ack === 'late' || ack === 'closed' || ack.code !== 0) {
    const seen = typeof ack === 'string' ? ack : `PUBACK ${hex(ack.code)} ${ack.reason}`;
    throw new Violation('another device was held back', seen);
  }
  witnessed.push(ts);
}

async function storedWitnessTimes() {
  const gql = createGraphQLClient(app.baseUrl, app.adminToken);
  const times: number[] = [];
  let after: string | null | undefined;
  do {
    const { device } = await expectData(
      gql(RawTelemetryDocument, {
        id: witness.id,
        from: '2000-01-01T00:00:00Z',
        to: '2100-01-01T00:00:00Z',
        first: 1_000,
        after,
      }),
    );
    const page = device!.rawTelemetry;
    times.push(...page.edges.map((edge) => Date.parse(edge.node.ts)));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
  } while (after);
  return times;
}

describe('MQTT payload fuzzing', () => {
  const qos1Budget = fuzzBudget(150, 1, 60);
  it(
    'acknowledges every QoS 1 payload with 0 or 0x99 and a reason, and serves others meanwhile',
    async () => {
      const codes = new Map<string, number>();
      await fuzz(
        'MQTT QoS 1 payloads',
        batch,
        async (payloads) => {
          const device = await connected(fuzzed.token);
          const acks = await Promise.all(payloads.map((sent) => publish(device, sent.bytes)));
          for (const ack of acks) {
            const key = ack === 'closed' ? ack : hex(ack.code);
            codes.set(key, (codes.get(key) ?? 0) + 1);
          }
          for (const [i, ack] of acks.entries()) {
            const problem = await ackProblem(device, ack, payloads[i]!);
            if (problem) throw problem;
          }
          await witnessIsServed();
        },
        qos1Budget,
      );
      console.info('MQTT fuzz PUBACKs:', Object.fromEntries(codes));
      // The fuzzer reached both sides of validation.
      expect(codes.get('0x00')).toBeGreaterThan(0);
      expect(codes.get('0x99')).toBeGreaterThan(0);
    },
    qos1Budget.timeout,
  );

  const qos0Budget = fuzzBudget(50, 0.3, 60);
  it(
    'keeps the connection through QoS 0 garbage: a QoS 1 publish after it is acknowledged',
    async () => {
      const after = { ts: Date.now(), metrics: { after_garbage: 1 } };
      await fuzz(
        'MQTT QoS 0 payloads',
        batch,
        async (payloads) => {
          const device = await connected(fuzzed.token);
          for (const sent of payloads) device.client.publish(TELEMETRY_TOPIC, sent.bytes);
          // Packets are handled in order: its PUBACK comes after the server read the rest.
          const ack = await publish(device, JSON.stringify(after));
          const what = payloads.map((sent) => fc.stringify(sent)).join('\n  ');
          if (ack === 'closed') {
            throw new Violation(
              `QoS 0 garbage closed the connection (${await ending(device)})`,
              what,
            );
          }
          if (ack.code !== 0) {
            throw new Violation(`a valid point after QoS 0 garbage got ${hex(ack.code)}`, what);
          }
        },
        qos0Budget,
      );
    },
    qos0Budget.timeout,
  );

  it('has stored every point of the other device it acknowledged', async () => {
    expect(witnessed.length).toBeGreaterThan(0);
    const missing = async () => {
      const stored = new Set(await storedWitnessTimes());
      return witnessed.filter((ts) => !stored.has(ts));
    };
    await eventually(async () => ((await missing()).length === 0 ? true : undefined)).catch(
      () => undefined,
    );
    expect(await missing()).toEqual([]);
  });
});
