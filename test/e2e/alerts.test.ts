/**
 * Alert rules end to end on the real embedded app: rules managed over GraphQL, points posted to
 * ingest, status changes seen in the alerts query and live over graphql-ws; roles and tenancy.
 */
import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/viewer.js';
import {
  AlertRulesDocument,
  AlertsDocument,
  CreateAlertRuleDocument,
  DeleteAlertRuleDocument,
  LiveAlertsDocument,
  RegisterDeviceDocument,
  UpdateAlertRuleDocument,
  type CreateAlertRuleInput,
  type LiveAlertsSubscription,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { userToken } from '../support/tokens.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

type LiveAlert = LiveAlertsSubscription['alerts'];

const ORG = 'org-alerts';
const OTHER_ORG = 'org-alerts-other';

// Rules are read again at every batch here, so a test's new rule applies at once.
const app = useEmbeddedApp({ ALERT_RULE_CACHE_MS: '0' });
const as = async (role: Role, organizationId = ORG) =>
  createGraphQLClient(app.baseUrl, await userToken(app.jwt, organizationId, role));

async function registerDevice(
  externalId: string,
  organizationId = ORG,
  extra: { type?: string; labels?: { key: string; value: string }[] } = {},
) {
  const gql = await as('operator', organizationId);
  const data = await expectData(
    gql(RegisterDeviceDocument, {
      input: { externalId, name: externalId, type: extra.type ?? 'boiler', labels: extra.labels },
    }),
  );
  return { id: data.registerDevice.device.id, token: data.registerDevice.token };
}

async function createRule(input: CreateAlertRuleInput, organizationId = ORG) {
  const gql = await as('operator', organizationId);
  return (await expectData(gql(CreateAlertRuleDocument, { input }))).createAlertRule;
}

async function send(token: string, ts: number, metrics: Record<string, number | boolean | string>) {
  const response = await postTelemetry(app.baseUrl, token, JSON.stringify({ ts, metrics }));
  expect(response.status).toBe(202);
}

/**
 * Subscribes to alerts as `role` of the organization and waits until the subscription is live:
 * a canary rule is toggled until one of its changes arrives (graphql-ws does not acknowledge a
 * subscription, and one change raised before the subscription would be missed for good).
 */
async function subscribeAlerts(organizationId = ORG, role: Role = 'viewer') {
  const canary = await registerDevice(
    `canary-${Math.random().toString(36).slice(2)}`,
    organizationId,
  );
  const rule = await createRule(
    { name: 'canary', metric: 'canary', condition: 'EQ', threshold: 1, deviceLabels: [] },
    organizationId,
  );
  const client = liveClient(app.baseUrl, await userToken(app.jwt, organizationId, role));
  const received: LiveAlert[] = [];
  const errors: unknown[] = [];
  client.subscribe(
    { query: print(LiveAlertsDocument) },
    {
      next: (message) => {
        if (message.data) received.push((message.data as LiveAlertsSubscription).alerts);
        if (message.errors) errors.push(message.errors);
      },
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  let ts = Date.now() - 60_000;
  await eventually(
    async () => {
      ts += 1;
      await send(canary.token, ts, { canary: ts % 2 });
      return received.some((alert) => alert.ruleId === rule.id) ? true : undefined;
    },
    10_000,
    'the alerts subscription to be live',
  );
  const gql = await as('operator', organizationId);
  await expectData(gql(DeleteAlertRuleDocument, { id: rule.id }));
  return {
    received: () => received.filter((alert) => alert.ruleId !== rule.id),
    errors,
    close: () => client.dispose(),
  };
}

describe('alert rules', () => {
  it('fires when a point meets the rule and resolves when one no longer does, live and in the query', async () => {
    const boiler = await registerDevice('boiler-hot');
    const rule = await createRule({
      name: 'Boiler too hot',
      metric: 'temperature',
      condition: 'GT',
      threshold: 80,
    });
    const live = await subscribeAlerts();
    try {
      const t0 = Date.UTC(2026, 10, 1, 12);
      await send(boiler.token, t0, { temperature: 70 });
      await send(boiler.token, t0 + 1_000, { temperature: 85.5 });
      await send(boiler.token, t0 + 2_000, { temperature: 90 });

      const firing = await eventually(async () => {
        const changes = live.received().filter((alert) => alert.ruleId === rule.id);
        return changes.length >= 1 ? changes : undefined;
      });
      expect(firing).toEqual([
        {
          ruleId: rule.id,
          deviceId: boiler.id,
          status: 'FIRING',
          value: 85.5,
          since: new Date(t0 + 1_000).toISOString(),
          evaluatedAt: new Date(t0 + 1_000).toISOString(),
          rule: { name: 'Boiler too hot' },
          device: { externalId: 'boiler-hot' },
        },
      ]);
      const viewer = await as('viewer');
      const listed = await expectData(
        viewer(AlertsDocument, { status: 'FIRING', ruleId: rule.id }),
      );
      expect(listed.alerts).toEqual([
        {
          ruleId: rule.id,
          deviceId: boiler.id,
          status: 'FIRING',
          value: 85.5,
          since: new Date(t0 + 1_000).toISOString(),
          // The 90 that followed may have been evaluated by now, or not yet.
          evaluatedAt: expect.stringMatching(/^2026-11-01T12:00:0[12]\.000Z$/),
          rule: { id: rule.id, name: 'Boiler too hot' },
          device: { id: boiler.id, externalId: 'boiler-hot' },
        },
      ]);

      await send(boiler.token, t0 + 3_000, { temperature: 60 });
      await eventually(async () =>
        live.received().filter((alert) => alert.ruleId === rule.id).length === 2 ? true : undefined,
      );
      expect(live.received().filter((alert) => alert.ruleId === rule.id)[1]).toMatchObject({
        status: 'OK',
        value: 60,
        since: new Date(t0 + 3_000).toISOString(),
      });
      const firingNow = await expectData(
        viewer(AlertsDocument, { status: 'FIRING', ruleId: rule.id }),
      );
      expect(firingNow.alerts).toEqual([]);
      const all = await expectData(viewer(AlertsDocument, { ruleId: rule.id }));
      expect(all.alerts.map((alert) => alert.status)).toEqual(['OK']);
      expect(live.errors).toEqual([]);
    } finally {
      await live.close();
    }
  });

  it('applies a rule only to devices of its type and labels', async () => {
    const north = await registerDevice('fridge-north', ORG, {
      type: 'fridge',
      labels: [{ key: 'site', value: 'north' }],
    });
    const south = await registerDevice('fridge-south', ORG, {
      type: 'fridge',
      labels: [{ key: 'site', value: 'south' }],
    });
    const boiler = await registerDevice('boiler-north', ORG, {
      labels: [{ key: 'site', value: 'north' }],
    });
    const rule = await createRule({
      name: 'Door open in the north',
      metric: 'door_open',
      condition: 'EQ',
      threshold: true,
      deviceType: 'fridge',
      deviceLabels: [{ key: 'site', value: 'north' }],
    });
    const ts = Date.UTC(2026, 10, 2);
    // The matching device's point goes last: the others' are in the same or earlier batches, so
    // had they matched, they would be listed by the time its alert is.
    for (const device of [south, boiler, north]) await send(device.token, ts, { door_open: true });
    const viewer = await as('viewer');
    const alerts = await eventually(async () => {
      const data = await expectData(viewer(AlertsDocument, { ruleId: rule.id }));
      return data.alerts.some((alert) => alert.device?.externalId === 'fridge-north')
        ? data.alerts
        : undefined;
    });
    expect(alerts.map((alert) => alert.device?.externalId)).toEqual(['fridge-north']);
  });

  it('refuses rules that can never be met or name no valid metric', async () => {
    const operator = await as('operator');
    const numeric = await operator(CreateAlertRuleDocument, {
      input: { name: 'x', metric: 'temperature', condition: 'GT', threshold: 'hot' },
    });
    expect(numeric.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'threshold',
    });
    const badMetric = await operator(CreateAlertRuleDocument, {
      input: { name: 'x', metric: 'org_id', condition: 'EQ', threshold: 1 },
    });
    expect(badMetric.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'metric',
    });
    const rule = await createRule({ name: 'x', metric: 'mode', condition: 'EQ', threshold: 'off' });
    const switchToGt = await operator(UpdateAlertRuleDocument, {
      id: rule.id,
      input: { condition: 'GT' },
    });
    expect(switchToGt.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it("clears a NO_DATA rule's metric with null, and refuses null for a threshold's", async () => {
    const operator = await as('operator');
    const silence = await createRule({
      name: 'Quiet sensor',
      kind: 'NO_DATA',
      metric: 'temperature',
      forDuration: '5m',
    });
    const anyPoint = await expectData(
      operator(UpdateAlertRuleDocument, { id: silence.id, input: { metric: null } }),
    );
    expect(anyPoint.updateAlertRule).toMatchObject({ kind: 'NO_DATA', metric: null });
    const kept = await expectData(
      operator(UpdateAlertRuleDocument, { id: silence.id, input: { name: 'Quiet' } }),
    );
    expect(kept.updateAlertRule).toMatchObject({ name: 'Quiet', metric: null });
    const watched = await expectData(
      operator(UpdateAlertRuleDocument, { id: silence.id, input: { metric: 'humidity' } }),
    );
    expect(watched.updateAlertRule.metric).toBe('humidity');

    const threshold = await createRule({ name: 'x', metric: 'bar', condition: 'GT', threshold: 1 });
    const refused = await operator(UpdateAlertRuleDocument, {
      id: threshold.id,
      input: { metric: null },
    });
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'metric',
    });
    expect(refused.errors?.[0]?.message).toMatch(/THRESHOLD rule needs its metric/);
  });

  it('updates, disables (clearing the alerts) and deletes a rule', async () => {
    const device = await registerDevice('pump-1');
    const rule = await createRule({
      name: 'Pressure',
      metric: 'bar',
      condition: 'GTE',
      threshold: 3,
    });
    await send(device.token, Date.UTC(2026, 10, 3), { bar: 3 });
    const viewer = await as('viewer');
    await eventually(async () => {
      const data = await expectData(viewer(AlertsDocument, { ruleId: rule.id, status: 'FIRING' }));
      return data.alerts.length === 1 ? true : undefined;
    });

    const operator = await as('operator');
    const updated = await expectData(
      operator(UpdateAlertRuleDocument, {
        id: rule.id,
        input: { name: 'High pressure', threshold: 4 },
      }),
    );
    expect(updated.updateAlertRule).toMatchObject({
      name: 'High pressure',
      threshold: 4,
      enabled: true,
    });
    await expectData(operator(UpdateAlertRuleDocument, { id: rule.id, input: { enabled: false } }));
    const cleared = await expectData(viewer(AlertsDocument, { ruleId: rule.id }));
    expect(cleared.alerts).toEqual([]);

    expect(
      (await expectData(operator(DeleteAlertRuleDocument, { id: rule.id }))).deleteAlertRule,
    ).toBe(rule.id);
    const rules = await expectData(viewer(AlertRulesDocument));
    expect(rules.alertRules.map((r) => r.id)).not.toContain(rule.id);
    const again = await operator(DeleteAlertRuleDocument, { id: rule.id });
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('alert roles', () => {
  // Managing rules is in the role matrix (roles.test.ts); reading them is every role's right.
  it.each(['viewer', 'operator', 'admin'] as Role[])('%s reads rules and alerts', async (role) => {
    const gql = await as(role);
    const rule = await createRule({
      name: `seen by ${role}`,
      metric: 'm',
      condition: 'EQ',
      threshold: 1,
    });
    const rules = await expectData(gql(AlertRulesDocument));
    expect(rules.alertRules.map((r) => r.id)).toContain(rule.id);
    await expectData(gql(AlertsDocument, { ruleId: rule.id }));
  });
});

describe('alert tenancy', () => {
  it("treats another organization's rule like a missing one, and never shows its alerts", async () => {
    const device = await registerDevice('secret-boiler');
    const rule = await createRule({
      name: 'Secret',
      metric: 'temperature',
      condition: 'GT',
      threshold: 0,
    });
    const outsider = await registerDevice('outsider-boiler', OTHER_ORG);
    const outsiderLive = await subscribeAlerts(OTHER_ORG);
    try {
      await send(device.token, Date.UTC(2026, 10, 4), { temperature: 10 });
      const viewer = await as('viewer');
      await eventually(async () => {
        const data = await expectData(viewer(AlertsDocument, { ruleId: rule.id }));
        return data.alerts.length === 1 ? true : undefined;
      });
      // The outsider's own rule fires after ours did: had ours been delivered to them, it would
      // have arrived first.
      const own = await createRule(
        { name: 'Own', metric: 'temperature', condition: 'GT', threshold: 0 },
        OTHER_ORG,
      );
      await send(outsider.token, Date.UTC(2026, 10, 4), { temperature: 10 });
      await eventually(async () => (outsiderLive.received().length > 0 ? true : undefined));
      expect(outsiderLive.received().map((alert) => alert.ruleId)).toEqual([own.id]);

      const foreign = await as('admin', OTHER_ORG);
      expect((await expectData(foreign(AlertRulesDocument))).alertRules.map((r) => r.id)).toEqual([
        own.id,
      ]);
      const listed = await expectData(foreign(AlertsDocument, {}));
      expect(listed.alerts.map((alert) => alert.ruleId)).toEqual([own.id]);
      for (const attempt of [
        foreign(AlertsDocument, { ruleId: rule.id }),
        foreign(AlertsDocument, { deviceId: device.id }),
        foreign(UpdateAlertRuleDocument, { id: rule.id, input: { name: 'stolen' } }),
        foreign(DeleteAlertRuleDocument, { id: rule.id }),
      ]) {
        const result = await attempt;
        expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        expect(JSON.stringify(result)).not.toContain('Secret');
      }
      const ours = await expectData(viewer(AlertRulesDocument));
      expect(ours.alertRules.find((r) => r.id === rule.id)?.name).toBe('Secret');
    } finally {
      await outsiderLive.close();
    }
  });
});
