/**
 * Devices over MQTT on the embedded app, with real clients (the `mqtt` package on 3.1.1 and 5,
 * and Debian's mosquitto_pub): the token is the password, publishes follow HTTP ingest's rules
 * and are acknowledged once the write-ahead log has them, and a device does only what it may.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DisableDeviceDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  RotateDeviceTokenDocument,
} from '../generated/graphql.js';
import { createGraphQLClient, eventually, expectData } from '../support/graphql-client.js';
import { connectDevice, ERRORS_TOPIC } from '../support/mqtt-device.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const run = promisify(execFile);

const app = useEmbeddedApp({
  MQTT_PORT: '0',
  RATE_LIMIT_DEVICE_PER_SECOND: '1',
  RATE_LIMIT_DEVICE_BURST: '20',
});

const mqttUrl = () => `mqtt://127.0.0.1:${app.mqtt!.tcp}`;
const admin = () => createGraphQLClient(app.baseUrl, app.adminToken);
let devices = 0;

async function registerDevice() {
  devices += 1;
  const { registerDevice } = await expectData(
    admin()(RegisterDeviceDocument, {
      input: { externalId: `mqtt-${devices}`, name: `MQTT ${devices}`, type: 'sensor' },
    }),
  );
  return { id: registerDevice.device.id, token: registerDevice.token };
}

async function storedTimes(deviceId: string) {
  const data = await expectData(
    admin()(RawTelemetryDocument, {
      id: deviceId,
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
      first: 1_000,
    }),
  );
  return data.device!.rawTelemetry.edges.map((edge) => Date.parse(edge.node.ts));
}

const point = (ts: number, temperature = 21.5) => JSON.stringify({ ts, metrics: { temperature } });

describe.each([5, 4] as const)('MQTT %s', (version) => {
  it('acknowledges a QoS 1 publish once the point is kept, and stores QoS 0 ones too', async () => {
    const { id, token } = await registerDevice();
    const device = await connectDevice(mqttUrl(), token, { version });
    const ts = Date.UTC(2026, 11, 1, 12);
    const ack = await device.publish(point(ts), 1);
    expect(ack && 'reasonCode' in ack ? ack.reasonCode : 0).toBe(0);
    await device.publish(JSON.stringify([{ ts: ts + 1, metrics: { temperature: 22 } }]), 0);
    await eventually(async () => ((await storedTimes(id)).length === 2 ? true : undefined));
    expect(await storedTimes(id)).toEqual([ts, ts + 1]);
    await device.close();
  });

  it('refuses a bad token as "bad user name or password"', async () => {
    const refused = connectDevice(mqttUrl(), `dev_${'x'.repeat(43)}`, { version });
    await expect(refused).rejects.toMatchObject({ code: version === 5 ? 0x86 : 4 });
  });

  it('refuses a disabled device as "not authorized", and disconnects it within seconds', async () => {
    const { id, token } = await registerDevice();
    const device = await connectDevice(mqttUrl(), token, { version });
    const disabledAt = Date.now();
    await expectData(admin()(DisableDeviceDocument, { id }));
    const ending = await device.ended;
    expect(Date.now() - disabledAt).toBeLessThan(12_000);
    if (version === 5)
      expect(ending).toEqual({ reasonCode: 0x87, reason: 'the device is disabled' });
    await expect(connectDevice(mqttUrl(), token, { version })).rejects.toMatchObject({
      code: version === 5 ? 0x87 : 5,
    });
  });

  it('keeps a rotated-out token through its grace, and cuts it off when there is none', async () => {
    const { id, token } = await registerDevice();
    const device = await connectDevice(mqttUrl(), token, { version });
    const rotate = (gracePeriodSeconds: number) =>
      expectData(admin()(RotateDeviceTokenDocument, { id, gracePeriodSeconds }));
    const { rotateDeviceToken } = await rotate(3_600);
    // Still in its grace: a new connection with the old token works too.
    const again = await connectDevice(mqttUrl(), token, { version });
    await again.close();
    await rotate(0);
    const ending = await device.ended;
    if (version === 5) expect(ending.reasonCode).toBe(0x87);
    await expect(connectDevice(mqttUrl(), token, { version })).rejects.toMatchObject({
      code: version === 5 ? 0x86 : 4,
    });
    expect(rotateDeviceToken.token).not.toBe(token);
  });

  it('refuses a bad payload, saying why, and keeps the connection', async () => {
    const { id, token } = await registerDevice();
    const device = await connectDevice(mqttUrl(), token, { version });
    await device.client.subscribeAsync(ERRORS_TOPIC, { qos: 0 });
    const bad = JSON.stringify({ ts: 'yesterday', metrics: { temperature: 1 } });
    if (version === 5) {
      await expect(device.publish(bad)).rejects.toMatchObject({ code: 0x99 });
    } else {
      // 3.1.1 has no negative PUBACK: acknowledged, not stored, said on the errors topic.
      await device.publish(bad);
    }
    const [said] = await eventually(async () => (device.errors.length ? device.errors : undefined));
    expect(said).toMatchObject({
      code: 'INVALID_POINTS',
      errors: [{ index: 0, field: 'ts' }],
    });
    // The same connection goes on.
    await device.publish(point(Date.UTC(2026, 11, 2)));
    await eventually(async () => ((await storedTimes(id)).length === 1 ? true : undefined));
    await device.close();
  });

  it('does not let a device publish to another topic, or subscribe to one', async () => {
    const { token } = await registerDevice();
    const device = await connectDevice(mqttUrl(), token, { version });
    await expect(device.client.subscribeAsync('v1/devices/other/#', { qos: 0 })).rejects.toThrow(
      version === 5 ? 'Not authorized' : 'Unspecified error',
    );
    const foreign = device.publish(point(Date.now()), 1, 'v1/devices/other/telemetry');
    if (version === 5) {
      await expect(foreign).rejects.toMatchObject({ code: 0x87 });
      await device.close();
    } else {
      // 3.1.1 cannot refuse a publish: the connection is closed instead.
      foreign.catch(() => undefined);
      await device.ended;
    }
  });

  it('answers a device over its rate limit with "quota exceeded" (5) or a disconnect (3.1.1)', async () => {
    const { token } = await registerDevice();
    const device = await connectDevice(mqttUrl(), token, { version });
    const results: unknown[] = [];
    const sends = Array.from({ length: 30 }, (_, i) =>
      device.publish(point(Date.UTC(2026, 11, 3) + i)).then(
        () => results.push('ok'),
        (error: { code?: number }) => results.push(error.code ?? 'closed'),
      ),
    );
    if (version === 5) {
      await Promise.all(sends);
      expect(results).toContain(0x97);
      await device.close();
    } else {
      // Not acknowledged past the limit: the connection closes, the device keeps the rest.
      await device.ended;
    }
    expect(results.filter((result) => result === 'ok').length).toBeGreaterThan(0);
  });
});

describe('other clients and transports', () => {
  it('takes a point from mosquitto_pub', async () => {
    const { id, token } = await registerDevice();
    const ts = Date.UTC(2026, 11, 4);
    await run('mosquitto_pub', [
      ...['-h', '127.0.0.1', '-p', String(app.mqtt!.tcp), '-V', 'mqttv5', '-q', '1'],
      ...['-u', 'my-device', '-P', token, '-t', 'v1/devices/me/telemetry', '-m', point(ts)],
    ]);
    await eventually(async () => ((await storedTimes(id)).length === 1 ? true : undefined));
  });

  it('speaks MQTT over WebSocket at /mqtt', async () => {
    const { id, token } = await registerDevice();
    const url = `${app.baseUrl.replace(/^http/, 'ws')}/mqtt`;
    const device = await connectDevice(url, token);
    await device.publish(point(Date.UTC(2026, 11, 5)));
    await eventually(async () => ((await storedTimes(id)).length === 1 ? true : undefined));
    await device.close();
  });
});
