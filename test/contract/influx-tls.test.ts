/**
 * InfluxDB over HTTPS (an https:// INFLUX_URL and INFLUX_CA_FILE) on the second influxd of
 * scripts/services/influxdb.sh (HTTPS with the test certificate, auth on): the config a pipeline
 * loads goes through the production adapter factory to a write and a read; a wrong password and a
 * CA that did not sign the server's certificate are refused with the engine and the cause, by
 * the store's ping (readiness) and its writes.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productionAdapters } from '../../src/app/production-adapters.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import {
  capturedLines,
  findSecureService,
  productionConfig,
  testCa,
} from '../support/secure-services.js';
import { uniqueSuffix } from '../support/services.js';

const influx = await findSecureService('influx');

describe.skipIf(!influx)('InfluxDB over HTTPS (INFLUX_CA_FILE)', () => {
  const log = capturedLines();
  const logger = createLogger('debug', 'influx-tls-test', log.destination);
  const database = `iot_test_tls_${uniqueSuffix()}`;
  const stores: TelemetryStore[] = [];

  /** An InfluxQL statement as the admin, over HTTPS with the test CA (the test's own client). */
  function adminQuery(q: string): Promise<void> {
    const url = new URL('/query', influx!.url);
    const body = new URLSearchParams({ q }).toString();
    return new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method: 'POST',
          ca: readFileSync(testCa.file, 'utf8'),
          auth: `${influx!.username}:${influx!.password}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () =>
            response.statusCode === 200 && !text.includes('"error"')
              ? resolve()
              : reject(new Error(`InfluxDB ${response.statusCode}: ${text}`)),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** The store a pipeline makes from INFLUX_* with `password` and `caFile`. */
  function storeFor(password: string, caFile: string | null = testCa.file) {
    const config = productionConfig('pipeline', {
      INFLUX_URL: influx!.url,
      INFLUX_DATABASE: database,
      INFLUX_USERNAME: influx!.username,
      INFLUX_PASSWORD: password,
      INFLUX_CA_FILE: caFile ?? undefined,
    });
    const store = productionAdapters.telemetry(config, logger);
    stores.push(store);
    return store;
  }

  beforeAll(() => adminQuery(`CREATE DATABASE "${database}"`));
  afterAll(async () => {
    await Promise.allSettled(stores.map((store) => store.close()));
    await adminQuery(`DROP DATABASE "${database}"`);
    expect(log.lines.join('')).not.toContain(influx!.password);
  });

  it('writes and reads points over HTTPS', async () => {
    const store = storeFor(influx!.password);
    await store.ping();
    const orgId = `org-${uniqueSuffix()}`;
    const now = Date.now();
    const points = [
      { orgId, deviceId: 'dev-1', ts: now - 2_000, metrics: { temperature: 20.5 } },
      { orgId, deviceId: 'dev-1', ts: now - 1_000, metrics: { temperature: 21.5 } },
    ];
    expect(await store.write(points)).toEqual({ rejected: [] });
    const read = await store.raw({
      orgId,
      deviceId: 'dev-1',
      metrics: [],
      from: now - 60_000,
      to: now + 60_000,
      limit: 10,
    });
    expect(read.map((point) => [point.ts, point.metrics.temperature])).toEqual([
      [now - 2_000, 20.5],
      [now - 1_000, 21.5],
    ]);
  });

  it('refuses a wrong password: "influxdb: authentication failed"', async () => {
    const store = storeFor('not-the-password');
    const refused = await store.ping().catch((error: unknown) => error);
    expect(refused).toMatchObject({ engine: 'influxdb', failure: 'authentication' });
    expect((refused as Error).message).toBe(
      'influxdb: authentication failed (InfluxDB answered 401: authorization failed)',
    );
    // A write fails too (the pipeline retries it), saying as much.
    await expect(
      store.write([{ orgId: 'org-a', deviceId: 'dev-1', ts: Date.now(), metrics: { t: 1 } }]),
    ).rejects.toThrow('InfluxDB answered 401: authorization failed');
  });

  it('refuses a server certificate its CA did not sign: "influxdb: certificate not trusted"', async () => {
    for (const caFile of [testCa.otherFile, null]) {
      // null: no CA file, Node's public CAs, of which the test CA is not one.
      const store = storeFor(influx!.password, caFile);
      const refused = await store.ping().catch((error: unknown) => error);
      expect(refused).toMatchObject({ engine: 'influxdb', failure: 'untrusted-certificate' });
      expect((refused as Error).message).toBe(
        'influxdb: certificate not trusted (self-signed certificate in certificate chain)',
      );
      await expect(
        store.write([{ orgId: 'org-a', deviceId: 'dev-1', ts: Date.now(), metrics: { t: 1 } }]),
      ).rejects.toThrow('self-signed certificate in certificate chain');
    }
  });

  it('lists bad TLS settings without echoing the password', () => {
    const secret = 'a-password-that-must-not-show';
    let message = '';
    try {
      loadConfig(
        {
          MODE: 'production',
          INFLUX_URL: 'http://127.0.0.1:8086',
          INFLUX_DATABASE: database,
          INFLUX_PASSWORD: secret,
          INFLUX_CA_FILE: testCa.file,
        },
        'pipeline',
      );
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      message = error.message;
    }
    expect(message).toContain('INFLUX_CA_FILE: needs an https:// INFLUX_URL');
    expect(message).not.toContain(secret);
  });
});
