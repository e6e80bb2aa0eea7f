/**
 * Role matrix: each mutation by each role gets the documented result — viewers read, operators
 * also manage devices, alert rules and notification channels and acknowledge alert episodes, admins also manage API keys and the
 * organization's retention (API keys have their own
 * matrix in api-keys.test.ts). The table must name every mutation of the schema.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import {
  AcknowledgeAlertEpisodeDocument,
  AlertEpisodesDocument,
  CreateAlertRuleDocument,
  CreateApiKeyDocument,
  CreateNotificationChannelDocument,
  DeleteAlertRuleDocument,
  DeleteNotificationChannelDocument,
  DeviceDocument,
  DevicesDocument,
  DisableDeviceDocument,
  EnableDeviceDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  RevokeApiKeyDocument,
  RotateDeviceTokenDocument,
  RotateNotificationChannelSecretDocument,
  SetDeviceTypeDocument,
  SetRetentionDocument,
  UpdateAlertRuleDocument,
  UpdateDeviceDocument,
  UpdateNotificationChannelDocument,
  ViewerDocument,
} from '../generated/graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { userToken } from '../support/tokens.js';
import { ROLE_PERMISSIONS, type Role } from '../../src/auth/viewer.js';

type Client = ReturnType<typeof createGraphQLClient>;
const ORG = 'org-roles';

// Rules are read at every batch: the episode's rule applies to the next point.
const app = useEmbeddedApp({ ALERT_RULE_CACHE_MS: '0' });
let admin: Client;
let deviceId: string;
let episodeId: string;

beforeAll(async () => {
  admin = createGraphQLClient(app.baseUrl, await userToken(app.jwt, ORG, 'admin'));
  const data = await expectData(
    admin(RegisterDeviceDocument, {
      input: { externalId: 'role-target', name: 'Target', type: 't' },
    }),
  );
  deviceId = data.registerDevice.device.id;
  // An episode to acknowledge: a rule the device's next point meets.
  await expectData(
    admin(CreateAlertRuleDocument, {
      input: { name: 'episode', metric: 'smoke', condition: 'EQ', threshold: true },
    }),
  );
  const response = await postTelemetry(
    app.baseUrl,
    data.registerDevice.token,
    JSON.stringify({ ts: Date.now(), metrics: { smoke: true } }),
  );
  expect(response.status).toBe(202);
  episodeId = await eventually(async () => {
    const { alertEpisodes } = await expectData(admin(AlertEpisodesDocument, {}));
    return alertEpisodes.edges[0]?.node.id;
  });
});

/** A key of the organization for a caller to revoke (each attempt gets its own). */
async function freshKeyId() {
  const data = await expectData(
    admin(CreateApiKeyDocument, { input: { name: 'to revoke', scopes: ['READ_DEVICES'] } }),
  );
  return data.createApiKey.apiKey.id;
}

/** A rule of the organization for a caller to change or delete (each attempt gets its own). */
async function freshRuleId() {
  const data = await expectData(
    admin(CreateAlertRuleDocument, {
      input: { name: 'to change', metric: 'temperature', condition: 'GT', threshold: 30 },
    }),
  );
  return data.createAlertRule.id;
}

/** A webhook channel of the organization for a caller to change or delete. */
async function freshChannelId() {
  const data = await expectData(
    admin(CreateNotificationChannelDocument, {
      input: { name: 'to change', kind: 'WEBHOOK', url: 'https://hooks.example.com/alerts' },
    }),
  );
  return data.createNotificationChannel.channel.id;
}

const OPERATORS: Role[] = ['operator', 'admin'];
const ADMINS: Role[] = ['admin'];

/** Each mutation, how a caller tries it, and the roles allowed to. */
const mutations: Record<
  string,
  { run: (gql: Client, role: Role) => Promise<unknown>; by: Role[] }
> = {
  registerDevice: {
    run: (gql, role) =>
      gql(RegisterDeviceDocument, { input: { externalId: `by-${role}`, name: 'x', type: 't' } }),
    by: OPERATORS,
  },
  updateDevice: {
    run: (gql) => gql(UpdateDeviceDocument, { id: deviceId, input: { name: 'renamed' } }),
    by: OPERATORS,
  },
  rotateDeviceToken: {
    run: (gql) => gql(RotateDeviceTokenDocument, { id: deviceId }),
    by: OPERATORS,
  },
  disableDevice: {
    run: (gql) => gql(DisableDeviceDocument, { id: deviceId }),
    by: OPERATORS,
  },
  enableDevice: {
    run: (gql) => gql(EnableDeviceDocument, { id: deviceId }),
    by: OPERATORS,
  },
  setDeviceType: {
    run: (gql) => gql(SetDeviceTypeDocument, { input: { type: 't', heartbeatTimeoutSeconds: 60 } }),
    by: OPERATORS,
  },
  createApiKey: {
    run: (gql, role) =>
      gql(CreateApiKeyDocument, { input: { name: `by ${role}`, scopes: ['READ_DEVICES'] } }),
    by: ADMINS,
  },
  revokeApiKey: {
    run: async (gql) => gql(RevokeApiKeyDocument, { id: await freshKeyId() }),
    by: ADMINS,
  },
  setRetention: {
    // The server's (for ever): what every other test here expects.
    run: (gql) => gql(SetRetentionDocument, { input: {} }),
    by: ADMINS,
  },
  createAlertRule: {
    run: (gql, role) =>
      gql(CreateAlertRuleDocument, {
        input: { name: `by ${role}`, metric: 'battery', condition: 'LT', threshold: 10 },
      }),
    by: OPERATORS,
  },
  updateAlertRule: {
    run: async (gql) =>
      gql(UpdateAlertRuleDocument, { id: await freshRuleId(), input: { threshold: 35 } }),
    by: OPERATORS,
  },
  deleteAlertRule: {
    run: async (gql) => gql(DeleteAlertRuleDocument, { id: await freshRuleId() }),
    by: OPERATORS,
  },
  acknowledgeAlertEpisode: {
    run: (gql, role) => gql(AcknowledgeAlertEpisodeDocument, { id: episodeId, note: `by ${role}` }),
    by: OPERATORS,
  },
  createNotificationChannel: {
    run: (gql, role) =>
      gql(CreateNotificationChannelDocument, {
        input: { name: `by ${role}`, kind: 'WEBHOOK', url: 'https://hooks.example.com/alerts' },
      }),
    by: OPERATORS,
  },
  updateNotificationChannel: {
    run: async (gql) =>
      gql(UpdateNotificationChannelDocument, {
        id: await freshChannelId(),
        input: { name: 'renamed' },
      }),
    by: OPERATORS,
  },
  rotateNotificationChannelSecret: {
    run: async (gql) =>
      gql(RotateNotificationChannelSecretDocument, { id: await freshChannelId() }),
    by: OPERATORS,
  },
  deleteNotificationChannel: {
    run: async (gql) => gql(DeleteNotificationChannelDocument, { id: await freshChannelId() }),
    by: OPERATORS,
  },
};

it('the matrix names every mutation of the schema', () => {
  expect(Object.keys(mutations).sort()).toEqual(
    Object.keys(schema.getMutationType()!.getFields()).sort(),
  );
});

describe.each(['viewer', 'operator', 'admin'] as Role[])('role %s', (role) => {
  it.each(Object.keys(mutations))('%s', async (name) => {
    const { run, by } = mutations[name]!;
    const gql = createGraphQLClient(app.baseUrl, await userToken(app.jwt, ORG, role));
    const result = (await run(gql, role)) as Awaited<ReturnType<Client>>;
    if (by.includes(role)) {
      expect(result.errors).toBeUndefined();
      expect(result.data).toBeTruthy();
    } else {
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('reads its own permissions from Query.viewer, those of its role', async () => {
    const gql = createGraphQLClient(app.baseUrl, await userToken(app.jwt, ORG, role));
    const { viewer } = await expectData(gql(ViewerDocument, {}));
    expect(viewer).toMatchObject({ kind: 'USER', organizationId: ORG });
    expect(new Set(viewer.permissions)).toEqual(
      new Set(
        ROLE_PERMISSIONS[role].map((permission) => permission.replace(':', '_').toUpperCase()),
      ),
    );
    expect(Date.parse(viewer.expiresAt!)).toBeGreaterThan(Date.now());
  });

  it('can read devices and telemetry', async () => {
    const gql = createGraphQLClient(app.baseUrl, await userToken(app.jwt, ORG, role));
    await expectData(gql(DevicesDocument, {}));
    await expectData(gql(DeviceDocument, { id: deviceId }));
    await expectData(
      gql(RawTelemetryDocument, {
        id: deviceId,
        from: '2000-01-01T00:00:00Z',
        to: '2100-01-01T00:00:00Z',
      }),
    );
  });
});

describe('unknown roles', () => {
  it('a token with a role outside viewer/operator/admin is UNAUTHENTICATED', async () => {
    const { signUserToken } = await import('../../src/auth/jwt.js');
    const token = await signUserToken(
      app.jwt,
      { subject: 'x', organizationId: ORG, role: 'root' as Role },
      '1h',
    );
    const result = await createGraphQLClient(app.baseUrl, token)(DevicesDocument, {});
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
