/**
 * Issue 7's reproduction on the real embedded app: a string metric value with a NUL, for a
 * device whose organization has an alert rule on that metric, used to make every alert-state
 * write fail and the pipeline retry that batch forever (another organization's points never
 * stored, /ready still 200, and the same after a restart). Now ingest refuses it with 400, and
 * a poison point that reaches the bus anyway (here: written into the write-ahead log, as an
 * older version could have left it) is dead-lettered with its reason while everything else
 * flows. A refusal by the database itself, for a reason the pipeline cannot know in advance,
 * is test/contract/alert-repository.contract.ts (InputRefusedError) and
 * src/pipeline/pipeline.test.ts (narrowed down to the points concerned).
 */
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import {
  CreateAlertRuleDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
} from '../generated/graphql.js';
import { makeDataDir, startEmbeddedApp } from '../support/embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { userToken } from '../support/tokens.js';

const ATTACKER_ORG = 'org-poison-attacker';
const VICTIM_ORG = 'org-poison-victim';
// Rules are read at every batch, so the rule applies to the very next point.
const ENV = { ALERT_RULE_CACHE_MS: '0' };
const RANGE = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

type App = Awaited<ReturnType<typeof startEmbeddedApp>>;
let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
let app: App;

const admin = async (organizationId: string) =>
  createGraphQLClient(app.baseUrl, await userToken(app.jwt, organizationId, 'admin'));

async function registerDevice(organizationId: string, externalId: string) {
  const gql = await admin(organizationId);
  const data = await expectData(
    gql(RegisterDeviceDocument, { input: { externalId, name: externalId, type: 'boiler' } }),
  );
  return { id: data.registerDevice.device.id, token: data.registerDevice.token };
}

/** The device's stored points' times. */
async function storedTimes(organizationId: string, id: string) {
  const gql = await admin(organizationId);
  const data = await expectData(gql(RawTelemetryDocument, { id, ...RANGE, first: 100 }));
  return data.device?.rawTelemetry.edges.map((edge) => Date.parse(edge.node.ts)) ?? [];
}

const isStored = (organizationId: string, id: string, ts: number) => async () =>
  (await storedTimes(organizationId, id)).includes(ts) ? true : undefined;

/** A new point of the victim's device is accepted, then stored within seconds. */
async function expectVictimPointStored(mode: string) {
  const ts = Date.now() - 500;
  const accepted = await postTelemetry(
    app.baseUrl,
    victim.token,
    JSON.stringify({ ts, metrics: { mode } }),
  );
  expect(accepted.status).toBe(202);
  await eventually(isStored(VICTIM_ORG, victim.id, ts), 5_000, "the victim's fresh point");
}

async function readiness() {
  const response = await fetch(`${app.baseUrl}/ready`);
  return { status: response.status, body: await response.text() };
}

let attacker: { id: string; token: string };
let attackerOther: { id: string; token: string };
let victim: { id: string; token: string };

beforeAll(async () => {
  dataDir = await makeDataDir();
  app = await startEmbeddedApp(dataDir.dir, ENV);
  attacker = await registerDevice(ATTACKER_ORG, 'attacker');
  attackerOther = await registerDevice(ATTACKER_ORG, 'attacker-other');
  victim = await registerDevice(VICTIM_ORG, 'victim');
  await expectData(
    (await admin(ATTACKER_ORG))(CreateAlertRuleDocument, {
      input: { name: 'm', metric: 'mode', condition: 'NEQ', threshold: 'auto' },
    }),
  );
});

afterAll(async () => {
  await app?.stop();
  await dataDir?.remove();
});

describe('a string value with a NUL', () => {
  it('is refused at ingest with 400 naming the point and metric, and other tenants flow on', async () => {
    const refused = await postTelemetry(
      app.baseUrl,
      attacker.token,
      JSON.stringify({ metrics: { mode: 'a\u0000b' } }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'INVALID_POINTS',
      errors: [{ index: 0, field: 'metrics.mode', reason: expect.stringContaining('NUL') }],
    });
    // A lone surrogate, which JSON can carry but UTF-8 cannot: refused the same way.
    const lone = await postTelemetry(app.baseUrl, attacker.token, '{"metrics":{"mode":"\\ud800"}}');
    expect(lone.status).toBe(400);
    expect(lone.body.errors[0]).toMatchObject({ field: 'metrics.mode' });

    await expectVictimPointStored('manual');
    expect((await readiness()).status).toBe(200);
  });

  it('on the bus anyway, is dead-lettered with its reason, and holds back no other point, after a restart too', async () => {
    await app.stop();
    // The poison first, in one batch with a point of another organization and one of another
    // device of the same organization, all replayed from the write-ahead log on start.
    const base = Date.now() - 10_000;
    const poison: TelemetryPoint = {
      orgId: ATTACKER_ORG,
      deviceId: attacker.id,
      ts: base,
      metrics: { mode: 'a\u0000b' },
    };
    const batch: TelemetryPoint[] = [
      poison,
      { orgId: VICTIM_ORG, deviceId: victim.id, ts: base + 1, metrics: { mode: 'eco' } },
      { orgId: ATTACKER_ORG, deviceId: attackerOther.id, ts: base + 2, metrics: { mode: 'eco' } },
    ];
    await appendFile(path.join(dataDir.dir, 'ingest.wal'), `${JSON.stringify(batch)}\n`);
    app = await startEmbeddedApp(dataDir.dir, ENV);

    await eventually(isStored(VICTIM_ORG, victim.id, base + 1), 5_000, "the victim's point");
    await eventually(
      isStored(ATTACKER_ORG, attackerOther.id, base + 2),
      5_000,
      "the attacker's other device's point",
    );
    const letters = await eventually(
      async () => {
        const text = await readFile(path.join(dataDir.dir, 'dead-letter.ndjson'), 'utf8').catch(
          () => '',
        );
        const lines = text.split('\n').filter(Boolean);
        return lines.length > 0 ? lines.map((line) => JSON.parse(line)) : undefined;
      },
      5_000,
      'the dead letter',
    );
    expect(letters).toEqual([
      {
        deadLetteredAt: expect.any(String),
        reason: 'admission: metrics.mode must not contain NUL (U+0000)',
        point: poison,
      },
    ]);

    // Refused before any stage: not stored (and so never evaluated or published).
    expect(await storedTimes(ATTACKER_ORG, attacker.id)).not.toContain(base);

    // Still healthy, and a fresh point of the victim is stored at once.
    const ready = await readiness();
    expect(ready.status, ready.body).toBe(200);
    await expectVictimPointStored('auto');

    // Dead-lettered once: a restart does not replay it again.
    await app.stop();
    app = await startEmbeddedApp(dataDir.dir, ENV);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await readFile(path.join(dataDir.dir, 'dead-letter.ndjson'), 'utf8');
    expect(after.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
