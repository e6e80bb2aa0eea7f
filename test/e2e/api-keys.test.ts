/**
 * API keys end to end on the embedded app: what an admin and a third-party app see.
 */
import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../../src/auth/jwt.js';
import type { Role } from '../../src/auth/viewer.js';
import { DEFAULT_ORGANIZATION } from '../../src/app/embedded.js';
import {
  AlertRulesDocument,
  AlertStatusesDocument,
  AlertsDocument,
  ApiKeysDocument,
  CreateAlertRuleDocument,
  CreateApiKeyDocument,
  DeleteAlertRuleDocument,
  DeviceLatestDocument,
  DeviceNameDocument,
  DeviceNamesDocument,
  DevicesDocument,
  DisableDeviceDocument,
  EnableDeviceDocument,
  LiveTelemetryDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  RetentionDocument,
  RevokeApiKeyDocument,
  RotateDeviceTokenDocument,
  SetRetentionDocument,
  TelemetryDocument,
  UpdateAlertRuleDocument,
  UpdateDeviceDocument,
  type ApiKeyScope,
  ViewerDocument,
} from '../generated/graphql.js';
import { liveClient } from '../support/live-client.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
  type GraphQLResponse,
} from '../support/graphql-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

type Client = ReturnType<typeof createGraphQLClient>;
type Result = Awaited<ReturnType<Client>>;

const app = useEmbeddedApp();
let admin: ReturnType<typeof createGraphQLClient>;
let deviceId: string;
let deviceToken: string;

const WIDE_RANGE = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

beforeAll(async () => {
  admin = createGraphQLClient(app.baseUrl, app.adminToken);
  const registered = await expectData(
    admin(RegisterDeviceDocument, {
      input: { externalId: 'key-reader', name: 'Read by keys', type: 'thermometer' },
    }),
  );
  deviceId = registered.registerDevice.device.id;
  deviceToken = registered.registerDevice.token;
  const point = JSON.stringify({ ts: '2025-06-01T00:00:00Z', metrics: { temperature: 21.5 } });
  expect((await postTelemetry(app.baseUrl, registered.registerDevice.token, point)).status).toBe(
    202,
  );
});

async function userClient(role: Role, organizationId = DEFAULT_ORGANIZATION.id) {
  const token = await signUserToken(
    app.jwt,
    { subject: `${role}-user`, organizationId, role },
    '10m',
  );
  return createGraphQLClient(app.baseUrl, token);
}

async function createKey(scopes: ApiKeyScope[], expiresAt?: string) {
  const data = await expectData(
    admin(CreateApiKeyDocument, { input: { name: `key ${scopes.join('+')}`, scopes, expiresAt } }),
  );
  return data.createApiKey;
}

const codeOf = (result: GraphQLResponse<unknown>) => result.errors?.[0]?.extensions?.code;

const refusedAsUnauthenticated = (key: string) =>
  eventually(
    async () => {
      const result = await createGraphQLClient(app.baseUrl, key)(DeviceNamesDocument, {});
      return codeOf(result) === 'UNAUTHENTICATED' ? result : undefined;
    },
    15_000,
    'the key to be refused',
  );

describe('API keys', () => {
  it('gives a read-only key exactly its scopes: reads devices and telemetry, cannot manage', async () => {
    const created = await createKey(['READ_TELEMETRY', 'READ_DEVICES']);
    expect(created.key).toMatch(/^iotk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.apiKey.prefix)).toBe(true);
    expect(created.apiKey).toMatchObject({
      name: 'key READ_TELEMETRY+READ_DEVICES',
      scopes: expect.arrayContaining(['READ_TELEMETRY', 'READ_DEVICES']),
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
    });

    const app3p = createGraphQLClient(app.baseUrl, created.key);
    const { viewer } = await expectData(app3p(ViewerDocument, {}));
    expect(viewer).toMatchObject({ kind: 'API_KEY', subject: created.apiKey.id, expiresAt: null });
    expect(viewer.permissions.sort()).toEqual(['DEVICES_READ', 'TELEMETRY_READ']);
    const devices = await expectData(app3p(DevicesDocument, {}));
    expect(devices.devices.edges.map((edge) => edge.node.id)).toContain(deviceId);
    await eventually(
      async () => {
        const data = await expectData(app3p(RawTelemetryDocument, { id: deviceId, ...WIDE_RANGE }));
        return data.device.rawTelemetry.edges.length === 1 ? true : undefined;
      },
      10_000,
      'the point through the API key',
    );

    const register = await app3p(RegisterDeviceDocument, {
      input: { externalId: 'by-key', name: 'Nope', type: 'thermometer' },
    });
    expect(codeOf(register)).toBe('FORBIDDEN');
    expect(register.data ?? null).toBeNull();
    // A key can never manage keys, whatever its scopes.
    expect(codeOf(await app3p(ApiKeysDocument, {}))).toBe('FORBIDDEN');
    expect(
      codeOf(
        await app3p(CreateApiKeyDocument, { input: { name: 'x', scopes: ['MANAGE_DEVICES'] } }),
      ),
    ).toBe('FORBIDDEN');
  });

  it('records when a key was last used', async () => {
    const created = await createKey(['READ_DEVICES']);
    const before = Date.now();
    await expectData(createGraphQLClient(app.baseUrl, created.key)(DeviceNamesDocument, {}));
    const lastUsedAt = await eventually(
      async () => {
        const { apiKeys } = await expectData(admin(ApiKeysDocument, {}));
        return apiKeys.find((key) => key.id === created.apiKey.id)?.lastUsedAt ?? undefined;
      },
      10_000,
      'lastUsedAt',
    );
    expect(Date.parse(lastUsedAt)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(lastUsedAt)).toBeLessThanOrEqual(Date.now());
  });

  it('never shows the key, or its hash, again', async () => {
    const created = await createKey(['READ_DEVICES']);
    const listed = await admin(ApiKeysDocument, {});
    const text = JSON.stringify(listed);
    expect(listed.data?.apiKeys.map((key) => key.id)).toContain(created.apiKey.id);
    expect(text).not.toContain(created.key.slice(created.apiKey.prefix.length));
    expect(text).not.toContain(createHash('sha256').update(created.key).digest('hex'));
  });

  it('lets only admins create and list keys', async () => {
    for (const role of ['operator', 'viewer'] as const) {
      const user = await userClient(role);
      const create = await user(CreateApiKeyDocument, {
        input: { name: `by ${role}`, scopes: ['READ_DEVICES'] },
      });
      expect(codeOf(create), role).toBe('FORBIDDEN');
      expect(codeOf(await user(ApiKeysDocument, {})), role).toBe('FORBIDDEN');
    }
  });

  it('refuses a revoked key', async () => {
    const created = await createKey(['READ_DEVICES']);
    await expectData(createGraphQLClient(app.baseUrl, created.key)(DeviceNamesDocument, {}));
    const revoked = await expectData(admin(RevokeApiKeyDocument, { id: created.apiKey.id }));
    expect(revoked.revokeApiKey.revokedAt).not.toBeNull();
    const refused = await refusedAsUnauthenticated(created.key);
    expect(refused.status).toBe(401);
    expect(JSON.stringify(refused)).not.toContain(created.key);
  });

  it('refuses an expired key, and a key that would be born expired', async () => {
    // Valid long enough to be used once even on a loaded machine; refused after (polled to 15 s).
    const created = await createKey(['READ_DEVICES'], new Date(Date.now() + 4_000).toISOString());
    await expectData(createGraphQLClient(app.baseUrl, created.key)(DeviceNamesDocument, {}));
    await refusedAsUnauthenticated(created.key);

    const past = await admin(CreateApiKeyDocument, {
      input: { name: 'past', scopes: ['READ_DEVICES'], expiresAt: '2020-01-01T00:00:00Z' },
    });
    expect(codeOf(past)).toBe('BAD_USER_INPUT');
  });

  it("keeps another organization's admin away from the organization's keys", async () => {
    const created = await createKey(['READ_DEVICES']);
    const other = await userClient('admin', 'org-other-tenant');
    const listed = await expectData(other(ApiKeysDocument, {}));
    expect(listed.apiKeys.map((key) => key.id)).not.toContain(created.apiKey.id);

    // Exactly what an id that exists nowhere gets: nothing tells the two apart.
    const unknownId = '00000000-0000-4000-8000-00000000dead';
    const unknown = await other(RevokeApiKeyDocument, { id: unknownId });
    const revoke = await other(RevokeApiKeyDocument, { id: created.apiKey.id });
    expect(codeOf(revoke)).toBe('NOT_FOUND');
    expect(revoke.errors?.[0]?.message).toBe(
      unknown.errors?.[0]?.message?.replace(unknownId, created.apiKey.id),
    );

    // The key still works, and its holder sees only its own organization's devices.
    const own = await expectData(
      createGraphQLClient(app.baseUrl, created.key)(DeviceNamesDocument, {}),
    );
    expect(own.devices.edges.map((edge) => edge.node.id)).toContain(deviceId);
    const otherKey = await expectData(
      other(CreateApiKeyDocument, { input: { name: 'theirs', scopes: ['READ_DEVICES'] } }),
    );
    const theirs = await expectData(
      createGraphQLClient(app.baseUrl, otherKey.createApiKey.key)(DeviceNamesDocument, {}),
    );
    expect(theirs.devices.edges).toEqual([]);
  });
});

/**
 * Scope matrix: what a key of each scope may do. An operation is allowed exactly when the key
 * holds every scope it needs; otherwise FORBIDDEN, with nothing of the answer returned.
 */
describe('API key scope matrix', () => {
  type Needs = ApiKeyScope[] | 'never';
  let target: string;
  const TELEMETRY_QUERY = {
    metrics: ['temperature'],
    from: '2025-01-01T00:00:00Z',
    to: '2026-01-01T00:00:00Z',
    every: '1d',
  };

  beforeAll(async () => {
    const registered = await expectData(
      admin(RegisterDeviceDocument, {
        input: { externalId: 'scope-target', name: 'Scope target', type: 'thermometer' },
      }),
    );
    target = registered.registerDevice.device.id;
  });

  /** A rule of the organization for a key to change or delete (each attempt gets its own). */
  async function adminRule() {
    const data = await expectData(
      admin(CreateAlertRuleDocument, {
        input: { name: 'for a key', metric: 'temperature', condition: 'GT', threshold: 30 },
      }),
    );
    return data.createAlertRule.id;
  }

  const operations: Record<string, { needs: Needs; run: (gql: Client) => Promise<Result> }> = {
    devices: { needs: ['READ_DEVICES'], run: (gql) => gql(DeviceNamesDocument, {}) },
    device: { needs: ['READ_DEVICES'], run: (gql) => gql(DeviceNameDocument, { id: target }) },
    latest: {
      needs: ['READ_DEVICES', 'READ_TELEMETRY'],
      run: (gql) => gql(DeviceLatestDocument, { id: target }),
    },
    telemetry: {
      needs: ['READ_DEVICES', 'READ_TELEMETRY'],
      run: (gql) => gql(TelemetryDocument, { id: target, ...TELEMETRY_QUERY }),
    },
    rawTelemetry: {
      needs: ['READ_DEVICES', 'READ_TELEMETRY'],
      run: (gql) => gql(RawTelemetryDocument, { id: target, ...WIDE_RANGE }),
    },
    registerDevice: {
      needs: ['MANAGE_DEVICES'],
      run: (gql) =>
        gql(RegisterDeviceDocument, {
          input: { externalId: `by-key-${crypto.randomUUID()}`, name: 'k', type: 't' },
        }),
    },
    updateDevice: {
      needs: ['MANAGE_DEVICES'],
      run: (gql) => gql(UpdateDeviceDocument, { id: target, input: { name: 'renamed by key' } }),
    },
    disableDevice: {
      needs: ['MANAGE_DEVICES'],
      run: (gql) => gql(DisableDeviceDocument, { id: target }),
    },
    enableDevice: {
      needs: ['MANAGE_DEVICES'],
      run: (gql) => gql(EnableDeviceDocument, { id: target }),
    },
    rotateDeviceToken: {
      needs: ['MANAGE_DEVICES'],
      run: (gql) => gql(RotateDeviceTokenDocument, { id: target }),
    },
    alertRules: { needs: ['READ_ALERTS'], run: (gql) => gql(AlertRulesDocument, {}) },
    alerts: { needs: ['READ_ALERTS'], run: (gql) => gql(AlertStatusesDocument, {}) },
    createAlertRule: {
      needs: ['MANAGE_ALERTS'],
      run: (gql) =>
        gql(CreateAlertRuleDocument, {
          input: { name: 'by key', metric: 'temperature', condition: 'GT', threshold: 40 },
        }),
    },
    updateAlertRule: {
      needs: ['MANAGE_ALERTS'],
      run: async (gql) =>
        gql(UpdateAlertRuleDocument, { id: await adminRule(), input: { threshold: 41 } }),
    },
    deleteAlertRule: {
      needs: ['MANAGE_ALERTS'],
      run: async (gql) => gql(DeleteAlertRuleDocument, { id: await adminRule() }),
    },
    retention: { needs: ['READ_TELEMETRY'], run: (gql) => gql(RetentionDocument, {}) },
    // Shortening the retention deletes data: never a key's to do.
    setRetention: {
      needs: 'never',
      run: (gql) => gql(SetRetentionDocument, { input: { raw: '1h' } }),
    },
    apiKeys: { needs: 'never', run: (gql) => gql(ApiKeysDocument, {}) },
    createApiKey: {
      needs: 'never',
      run: (gql) => gql(CreateApiKeyDocument, { input: { name: 'x', scopes: ['READ_DEVICES'] } }),
    },
    revokeApiKey: {
      needs: 'never',
      run: async (gql) => {
        const victim = await createKey(['READ_DEVICES']);
        return gql(RevokeApiKeyDocument, { id: victim.apiKey.id });
      },
    },
  };

  it("shows a READ_ALERTS key an alert's device only with READ_DEVICES", async () => {
    const rule = await adminRule();
    const alertsOnly = createGraphQLClient(app.baseUrl, (await createKey(['READ_ALERTS'])).key);
    // The pipeline may hold the organization's rules from before this one for a few seconds
    // (ALERT_RULE_CACHE_MS): keep sending until a point meets the new rule.
    const listed = await eventually(async () => {
      await postTelemetry(
        app.baseUrl,
        deviceToken,
        JSON.stringify({ metrics: { temperature: 99 } }),
      );
      const result = await alertsOnly(AlertsDocument, { ruleId: rule });
      return result.data?.alerts.length ? result : undefined;
    });
    expect(listed.data!.alerts[0]).toMatchObject({ ruleId: rule, status: 'FIRING', device: null });
    expect(codeOf(listed)).toBe('FORBIDDEN');

    const both = createGraphQLClient(
      app.baseUrl,
      (await createKey(['READ_ALERTS', 'READ_DEVICES'])).key,
    );
    const full = await expectData(both(AlertsDocument, { ruleId: rule }));
    expect(full.alerts[0]!.device).toEqual({ id: deviceId, externalId: expect.any(String) });
  });

  const SCOPE_SETS: ApiKeyScope[][] = [
    ['READ_DEVICES'],
    ['READ_TELEMETRY'],
    ['MANAGE_DEVICES'],
    ['READ_ALERTS'],
    ['MANAGE_ALERTS'],
    ['READ_DEVICES', 'READ_TELEMETRY', 'MANAGE_DEVICES', 'READ_ALERTS', 'MANAGE_ALERTS'],
  ];
  const allowed = (needs: Needs, scopes: ApiKeyScope[]) =>
    needs !== 'never' && needs.every((scope) => scopes.includes(scope));

  describe.each(SCOPE_SETS.map((scopes) => [scopes.join('+'), scopes] as const))(
    'a %s key',
    (_name, scopes) => {
      let key: string;
      beforeAll(async () => {
        key = (await createKey(scopes)).key;
      });

      it.each(Object.keys(operations))('%s', async (name) => {
        const { needs, run } = operations[name]!;
        const result = await run(createGraphQLClient(app.baseUrl, key));
        if (allowed(needs, scopes)) {
          expect(result.errors).toBeUndefined();
          expect(result.data).toBeTruthy();
        } else {
          expect(codeOf(result)).toBe('FORBIDDEN');
          expect(result.data ?? null).toBeNull();
        }
      });

      it(`telemetry subscription is ${scopes.includes('READ_TELEMETRY') ? 'allowed' : 'FORBIDDEN'}`, async () => {
        const ws = liveClient(app.baseUrl, key);
        try {
          const first = new Promise<GraphQLResponse<unknown>>((resolve, reject) => {
            ws.subscribe(
              { query: print(LiveTelemetryDocument), variables: { deviceIds: [deviceId] } },
              { next: (message) => resolve(message as never), error: reject, complete: () => {} },
            );
          });
          if (scopes.includes('READ_TELEMETRY')) {
            // Allowed: the next point of the device arrives as data.
            let received: GraphQLResponse<unknown> | undefined;
            void first.then((message) => (received = message));
            await eventually(
              async () => {
                await postTelemetry(
                  app.baseUrl,
                  deviceToken,
                  JSON.stringify({ metrics: { temperature: 22 } }),
                );
                return received;
              },
              5_000,
              'a live point',
            );
            expect(received!.errors).toBeUndefined();
          } else {
            // Refused when opened: no event has to come first.
            const refused = await first;
            expect(codeOf(refused)).toBe('FORBIDDEN');
          }
        } finally {
          await ws.dispose();
        }
      });
    },
  );
});
