/**
 * MQTT's transport and protocol edges on the embedded app: TLS with a certificate of our own,
 * the keep-alive deadline, what may come first and which QoS, the packet size limit, failed
 * tokens throttled per address (CONNACK 0x9F), and a taken MQTT port that leaves HTTP ingest up.
 * Protocol misbehaviour is sent by a raw client (mqtt-raw.ts), since the `mqtt` client will not
 * misbehave; well-behaved devices use the `mqtt` client (mqtt-device.ts).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { IPubackPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDeviceToken } from '../../src/auth/device-tokens.js';
import { RawTelemetryDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { connectDevice } from '../support/mqtt-device.js';
import { disconnectReason, publishPacket, rawConnection } from '../support/mqtt-raw.js';
import { useEmbeddedApp, type EmbeddedApp } from '../support/use-embedded-app.js';

const run = promisify(execFile);

let registered = 0;

async function registerDevice(app: EmbeddedApp) {
  registered += 1;
  const { registerDevice } = await expectData(
    createGraphQLClient(app.baseUrl, app.adminToken)(RegisterDeviceDocument, {
      input: { externalId: `transport-${registered}`, name: `T ${registered}`, type: 'sensor' },
    }),
  );
  return { id: registerDevice.device.id, token: registerDevice.token };
}

async function storedTimes(app: EmbeddedApp, deviceId: string) {
  const data = await expectData(
    createGraphQLClient(app.baseUrl, app.adminToken)(RawTelemetryDocument, {
      id: deviceId,
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
      first: 100,
    }),
  );
  return data.device!.rawTelemetry.edges.map((edge) => Date.parse(edge.node.ts));
}

const waitStored = (app: EmbeddedApp, deviceId: string, ts: number) =>
  eventually(async () => ((await storedTimes(app, deviceId)).includes(ts) ? true : undefined));

/** A distinct timestamp in the last minute: within RAW_RETENTION and not in the future. */
let lastTs = 0;
const recentTs = () => (lastTs = Math.max(lastTs + 1, Date.now() - 60_000));

const point = (ts: number) => JSON.stringify({ ts, metrics: { temperature: 20.5 } });

describe('MQTT over TLS', () => {
  // useEmbeddedApp reads `env` when its own beforeAll runs: after the one below made the
  // certificate.
  const env: Record<string, string> = { MQTT_PORT: 'off', MQTTS_PORT: '0' };
  let certDir = '';
  let cert: Buffer;
  beforeAll(async () => {
    certDir = await mkdtemp(path.join(os.tmpdir(), 'mqtt-tls-'));
    env.MQTT_TLS_CERT_FILE = path.join(certDir, 'cert.pem');
    env.MQTT_TLS_KEY_FILE = path.join(certDir, 'key.pem');
    await run('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'],
      ...['-nodes', '-days', '1', '-subj', '/CN=localhost'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ...['-keyout', env.MQTT_TLS_KEY_FILE, '-out', env.MQTT_TLS_CERT_FILE],
    ]);
    cert = await readFile(env.MQTT_TLS_CERT_FILE);
  });
  afterAll(() => rm(certDir, { recursive: true, force: true }));
  const app = useEmbeddedApp(env);
  const url = () => `mqtts://127.0.0.1:${app.mqtt!.tls}`;

  it('takes a QoS 1 publish over mqtts:// from a client that trusts the certificate', async () => {
    expect(app.mqtt).toEqual({ tcp: null, tls: expect.any(Number) });
    const { id, token } = await registerDevice(app);
    const device = await connectDevice(url(), token, { extra: { ca: cert } });
    const ts = recentTs();
    const ack = await device.publish(point(ts), 1);
    expect(ack && 'reasonCode' in ack ? ack.reasonCode : 0).toBe(0);
    await waitStored(app, id, ts);
    await device.close();
  });

  it('is refused by the client that does not trust the certificate', async () => {
    const { token } = await registerDevice(app);
    await expect(connectDevice(url(), token)).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });
});

describe('MQTT protocol rules', () => {
  const app = useEmbeddedApp({ MQTT_PORT: '0' });
  const raw = () => rawConnection(app.mqtt!.tcp!);

  it('ends a silent connection after one and a half keep-alive periods, saying why', async () => {
    const { token } = await registerDevice(app);
    const connection = await raw();
    expect(await connection.connect(token, 1)).toBe(0);
    const closedAfter = await connection.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(1_200);
    expect(closedAfter).toBeLessThan(4_000);
    expect(await disconnectReason(connection)).toBe(0x8d);
  });

  it('keeps a connection that pings within its keep-alive', async () => {
    const { token } = await registerDevice(app);
    const connection = await raw();
    expect(await connection.connect(token, 1)).toBe(0);
    // 2.1 s in all, past the 1.5 s a silent connection gets.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      connection.send({ cmd: 'pingreq' });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connection.isOpen()).toBe(true);
    expect(connection.packets.filter((packet) => packet.cmd === 'pingresp').length).toBe(3);
    connection.close();
  });

  it('closes a connection whose first packet is not CONNECT, answering nothing', async () => {
    const connection = await raw();
    connection.send({ cmd: 'pingreq' });
    await connection.closed;
    expect(connection.packets).toEqual([]);
  });

  it('disconnects a QoS 2 publish with "QoS not supported" (0x9B)', async () => {
    const { token } = await registerDevice(app);
    const connection = await raw();
    expect(await connection.connect(token)).toBe(0);
    connection.write(publishPacket(point(recentTs()), 2));
    expect(await disconnectReason(connection)).toBe(0x9b);
    await connection.closed;
  });
});

describe('MQTT packet size', () => {
  // Packets are at most the body limit plus 4,096 bytes (mqtt-ingest.ts): 6,144 here.
  const app = useEmbeddedApp({ MQTT_PORT: '0', INGEST_MAX_BODY_BYTES: '2048' });
  const raw = () => rawConnection(app.mqtt!.tcp!);

  it('disconnects a packet over the limit with "packet too large" (0x95); others go on', async () => {
    const { token } = await registerDevice(app);
    const connection = await raw();
    expect(await connection.connect(token)).toBe(0);
    connection.write(publishPacket(`{"metrics":{"big":"${'x'.repeat(8_000)}"}}`, 1));
    expect(await disconnectReason(connection)).toBe(0x95);
    await connection.closed;

    const other = await registerDevice(app);
    const device = await connectDevice(`mqtt://127.0.0.1:${app.mqtt!.tcp}`, other.token);
    const ts = recentTs();
    await device.publish(point(ts), 1);
    await waitStored(app, other.id, ts);
    await device.close();
  });

  it('refuses well-formed points over the body limit (but within a packet) with PUBACK 0x99', async () => {
    const { token } = await registerDevice(app);
    // 16 valid points, about 3 KB: too large a body for HTTP ingest.
    const label = 'x'.repeat(150);
    const points = Array.from({ length: 16 }, () => ({ ts: recentTs(), metrics: { label } }));
    const body = JSON.stringify(points);
    expect((await postTelemetry(app.baseUrl, token, body)).status).toBe(413);

    const connection = await raw();
    expect(await connection.connect(token)).toBe(0);
    connection.write(publishPacket(body, 1));
    const ack = await connection.received<IPubackPacket>('puback');
    expect(ack?.reasonCode).toBe(0x99);
    expect(ack?.properties?.reasonString).toEqual(expect.any(String));
    expect(connection.isOpen()).toBe(true);
    connection.close();
  });

  it('takes packets within the limit that arrive together, as a busy device sends them', async () => {
    const { id, token } = await registerDevice(app);
    const connection = await raw();
    expect(await connection.connect(token)).toBe(0);
    // Four publishes of about 2 KB each, in one write: each within the limit, all together not.
    const label = 'x'.repeat(200);
    // Eight points of about 240 bytes each: within the body limit.
    const payload = () =>
      JSON.stringify(Array.from({ length: 8 }, () => ({ ts: recentTs(), metrics: { label } })));
    const packets = [1, 2, 3, 4].map((messageId) => publishPacket(payload(), 1, messageId));
    connection.write(Buffer.concat(packets));
    await eventually(async () =>
      connection.packets.filter((packet) => packet.cmd === 'puback').length === 4 ||
      !connection.isOpen()
        ? true
        : undefined,
    );
    const answers = connection.packets.filter((packet) => packet.cmd !== 'connack');
    expect(answers).toEqual(
      [1, 2, 3, 4].map((messageId) =>
        expect.objectContaining({ cmd: 'puback', messageId, reasonCode: 0 }),
      ),
    );
    await eventually(async () => ((await storedTimes(app, id)).length === 32 ? true : undefined));
    connection.close();
  });
});

describe('MQTT failed-authentication throttling', () => {
  const app = useEmbeddedApp({ MQTT_PORT: '0' });
  const raw = () => rawConnection(app.mqtt!.tcp!);
  /** The CONNACK reason code a token gets from this machine's address. */
  async function connackFor(token: string) {
    const connection = await raw();
    const code = await connection.connect(token);
    connection.close();
    return code;
  }

  it('refuses a flood of bad tokens with 0x86, then "connection rate exceeded" (0x9F)', async () => {
    const known = await registerDevice(app);
    // Devices never looked up, one for each try below and one for the refill.
    const unknown = await Promise.all(Array.from({ length: 6 }, () => registerDevice(app)));
    // Looked up now, so the device authenticator's cache knows it for the next 5 s.
    expect(await connackFor(known.token)).toBe(0);

    // More than the burst of failures (50) plus what refills while the flood is sent.
    const codes = await Promise.all(
      Array.from({ length: 150 }, () => connackFor(generateDeviceToken())),
    );
    expect([...new Set(codes)].sort()).toEqual([0x86, 0x9f]);
    expect(codes.filter((code) => code === 0x86).length).toBeGreaterThanOrEqual(50);

    // From the throttled address, a token the cache knows costs no lookup and gets in; one that
    // would need a lookup is refused like the forged ones (failed-auth-guard.ts)…
    expect(await connackFor(known.token)).toBe(0);
    // (The bucket refills one every 100 ms, which a loaded machine can spend between two
    // connections: each try drains it again first, and one of them must see the refusal. A
    // device that got in is cached, so each try asks with a device of its own.)
    const refusals = [];
    for (const device of unknown.slice(0, 5)) {
      await Promise.all(Array.from({ length: 20 }, () => connackFor(generateDeviceToken())));
      refusals.push(await connackFor(device.token));
      if (refusals.at(-1) === 0x9f) break;
    }
    expect(refusals).toContain(0x9f);
    // …until the bucket refills (10 a second): then it gets in.
    const last = unknown.at(-1)!;
    const startedAt = Date.now();
    await eventually(async () => ((await connackFor(last.token)) === 0 ? true : undefined));
    expect(Date.now() - startedAt).toBeLessThan(3_000);
  });
});

describe('MQTT port taken', () => {
  const logs: { level: number; msg: string }[] = [];
  const destination = { write: (line: string) => logs.push(JSON.parse(line)) };
  // useEmbeddedApp reads `env` when its own beforeAll runs, after the port is taken below.
  const env: Record<string, string> = { LOG_LEVEL: 'warn' };
  const squatter = net.createServer();
  beforeAll(async () => {
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    env.MQTT_PORT = String((squatter.address() as net.AddressInfo).port);
  });
  afterAll(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
  const app = useEmbeddedApp(env, destination);

  it('starts without MQTT, says why, and still takes HTTP ingest', async () => {
    expect(app.mqtt).toBeNull();
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringContaining(`MQTT is off: port ${env.MQTT_PORT} is in use`),
      }),
    );
    const { id, token } = await registerDevice(app);
    const ts = recentTs();
    const answer = await postTelemetry(app.baseUrl, token, point(ts));
    expect(answer.status).toBe(202);
    await waitStored(app, id, ts);
  });
});
