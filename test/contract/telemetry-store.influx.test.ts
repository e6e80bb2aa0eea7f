import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxError } from '../../src/adapters/telemetry-store/influx-http.js';
import { measurementOf } from '../../src/adapters/telemetry-store/influx-layout.js';
import { createInfluxTelemetryStore } from '../../src/adapters/telemetry-store/influx-telemetry-store.js';
import type { Aggregate, TelemetryPoint } from '../../src/domain/telemetry.js';
import { findService, uniqueSuffix } from '../support/services.js';
import { describeTelemetryStoreContract } from './telemetry-store.contract.js';

const influxUrl = await findService('influx');

async function influx(path: 'query' | 'write', body: string, params: Record<string, string> = {}) {
  const url = new URL(path, `${influxUrl}/`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const response = await fetch(url, {
    method: 'POST',
    body: path === 'query' ? new URLSearchParams({ q: body }) : body,
  });
  if (!response.ok) throw new Error(`InfluxDB ${response.status}: ${await response.text()}`);
  return path === 'query' ? ((await response.json()) as unknown) : undefined;
}

const influxQuery = (q: string) => influx('query', q);

describe.skipIf(!influxUrl)('InfluxDB telemetry store', () => {
  describeTelemetryStoreContract('influx', async () => {
    const database = `iot_test_${uniqueSuffix()}`;
    await influxQuery(`CREATE DATABASE "${database}"`);
    const open = async () => createInfluxTelemetryStore({ url: influxUrl!, database });
    return {
      store: await open(),
      reopen: open,
      cleanup: () => influxQuery(`DROP DATABASE "${database}"`).then(() => undefined),
    };
  });
});

describe.skipIf(!influxUrl)('InfluxDB telemetry store, InfluxDB-specific', () => {
  const database = `iot_test_${uniqueSuffix()}`;
  const base = Date.UTC(2026, 0, 1);
  const store = () => createInfluxTelemetryStore({ url: influxUrl!, database });
  const rawOf = (orgId: string, deviceId: string, metrics: string[] = []) =>
    store().raw({ orgId, deviceId, metrics, from: base, to: base + 1_000_000, limit: 1_000 });

  beforeAll(() => influxQuery(`CREATE DATABASE "${database}"`));
  afterAll(() => influxQuery(`DROP DATABASE "${database}"`));

  it('reports the points InfluxDB refuses (field type conflict) with its reason, and stores the rest', async () => {
    const org = `org-${uniqueSuffix()}`;
    const point = (ts: number, level: number | string): TelemetryPoint => ({
      orgId: org,
      deviceId: 'd',
      ts: base + ts,
      metrics: { level },
    });
    expect(await store().write([point(0, 1)])).toEqual({ rejected: [] });
    // 40 points, two of them strings: the batch is bisected down to exactly those two.
    const batch = Array.from({ length: 40 }, (_, i) =>
      point(i + 1, i === 6 || i === 29 ? 'high' : i),
    );
    const { rejected } = await store().write(batch);

    expect(rejected.map(({ point: refused }) => refused)).toEqual([batch[6], batch[29]]);
    for (const { reason } of rejected) expect(reason).toMatch(/field type conflict/);
    const stored = await rawOf(org, 'd');
    expect(stored.map((p) => p.metrics.level)).toEqual([
      1,
      ...batch.filter((_, i) => i !== 6 && i !== 29).map((p) => p.metrics.level),
    ]);
  });

  it('matches a long list of devices exactly, whatever their ids hold (one regex past 32)', async () => {
    const org = `org-${uniqueSuffix()}`;
    const odd = ['dev.1', 'dev|x', 'dev(1)', 'dév-ü', 'a+b', '[x]', 'c^d$', 'e{2}', 'f?g*', 'h/i'];
    const asked = [...odd, ...Array.from({ length: 30 }, (_, i) => `dev.${i + 2}`)];
    // What each would match, read as a regex unescaped.
    const decoys = ['devX1', 'dev', 'x', 'dev1', 'aab', 'x', 'cd', 'ee', 'fg', 'devX5'];
    const hour = Date.UTC(2026, 0, 2);
    const points = [...asked, ...decoys].map((deviceId, i) => ({
      orgId: org,
      deviceId,
      ts: hour + 1_000 * i,
      metrics: { level: i },
    }));
    expect(await store().write(points)).toEqual({ rejected: [] });
    const range = { orgId: org, metrics: ['level'], from: hour, to: hour + 3_600_000 };
    const question = { ...range, every: 3_600_000, origin: 0 };
    // COUNT from the rollups, MEDIAN from the points.
    for (const aggregates of [['count'], ['median']] satisfies Aggregate[][]) {
      const devices = await store().aggregateDevices({ ...question, deviceIds: asked, aggregates });
      expect([...devices.keys()].sort()).toEqual([...asked].sort());
    }
    const groups = await store().aggregateGroups({
      ...question,
      groups: [{ key: 'asked', deviceIds: asked }],
      aggregates: ['count', 'median'],
    });
    expect(groups.get('asked')?.[0]?.values.level).toEqual({
      count: asked.length,
      median: (asked.length - 1) / 2,
    });
    const latest = await store().latest(org, asked);
    expect([...latest.keys()].sort()).toEqual([...asked].sort());
    const reporting = await store().reportingDevices(org, asked, range.from, range.to);
    expect([...reporting].sort()).toEqual([...asked].sort());
  });

  it('refuses a metric named like a tag before writing it, saying why', async () => {
    const org = `org-${uniqueSuffix()}`;
    const forged: TelemetryPoint = {
      orgId: org,
      deviceId: 'd',
      ts: base,
      metrics: { org_id: 'x' },
    };
    const fine: TelemetryPoint = { orgId: org, deviceId: 'd', ts: base + 1, metrics: { t: 1 } };
    expect(await store().write([forged, fine])).toEqual({
      rejected: [{ point: forged, reason: 'metric name "org_id" is reserved' }],
    });
    expect(await rawOf(org, 'd')).toEqual([fine]);
  });

  it('finds an organization by its tag even where a field of the same name exists', async () => {
    // Data written before the names were reserved: a field org_id beside the tag. An unqualified
    // `org_id` in InfluxQL would mean the field, and this organization's point would vanish.
    const org = `org-${uniqueSuffix()}`;
    const measurement = measurementOf(org).replace(/[ ,]/g, '\\$&');
    await influx('write', `${measurement},org_id=${org},device_id=d org_id="other",t=5 ${base}`, {
      db: database,
      precision: 'ms',
    });
    const [point] = await rawOf(org, 'd', ['t']);
    expect(point).toEqual({ orgId: org, deviceId: 'd', ts: base, metrics: { t: 5 } });
    const latest = (await store().latest(org, ['d'])).get('d') ?? [];
    expect(latest).toContainEqual({ metric: 't', value: 5, ts: base });
  });

  it("keeps each organization's metrics in its own measurement", async () => {
    const [a, b] = [`org-${uniqueSuffix()}`, `org-${uniqueSuffix()}`];
    await store().write([
      { orgId: a, deviceId: 'd', ts: base, metrics: { only_a: 1 } },
      { orgId: b, deviceId: 'd', ts: base, metrics: { only_b: 'x' } },
    ]);
    const fieldKeys = async (orgId: string) =>
      JSON.stringify(
        await influx('query', `SHOW FIELD KEYS FROM "${measurementOf(orgId)}"`, { db: database }),
      );
    expect(await fieldKeys(a)).toContain('only_a');
    expect(await fieldKeys(a)).not.toContain('only_b');
    expect(await fieldKeys(b)).not.toContain('only_a');
  });

  it('throws, never rejects points, when the database or retention policy is missing', async () => {
    const point: TelemetryPoint = { orgId: 'o', deviceId: 'd', ts: base, metrics: { t: 1 } };
    const missingDatabase = createInfluxTelemetryStore({
      url: influxUrl!,
      database: `iot_missing_${uniqueSuffix()}`,
    });
    await expect(missingDatabase.write([point])).rejects.toMatchObject({ status: 404 });
    const missingPolicy = createInfluxTelemetryStore({
      url: influxUrl!,
      database,
      retentionPolicy: 'no_such_policy',
    });
    await expect(missingPolicy.write([point])).rejects.toBeInstanceOf(InfluxError);
  });
});
