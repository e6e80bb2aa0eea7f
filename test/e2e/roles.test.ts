/**
 * Role matrix: each device mutation by each role gets the documented result — viewers read,
 * operators also manage devices, admins too (API keys have their own tests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceDocument,
  DevicesDocument,
  DisableDeviceDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  RotateDeviceTokenDocument,
  UpdateDeviceDocument,
} from '../generated/graphql.js';
import { makeDataDir, startEmbeddedApp } from '../support/embedded-app.js';
import { createGraphQLClient, expectData } from '../support/graphql-client.js';
import { userToken } from '../support/tokens.js';
import type { Role } from '../../src/auth/viewer.js';

type App = Awaited<ReturnType<typeof startEmbeddedApp>>;
const ORG = 'org-roles';

let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
let app: App;
let deviceId: string;

beforeAll(async () => {
  dataDir = await makeDataDir();
  app = await startEmbeddedApp(dataDir.dir);
  const admin = createGraphQLClient(app.baseUrl, await userToken(app.jwt, ORG, 'admin'));
  const data = await expectData(
    admin(RegisterDeviceDocument, {
      input: { externalId: 'role-target', name: 'Target', type: 't' },
    }),
  );
  deviceId = data.registerDevice.device.id;
});

afterAll(async () => {
  await app?.stop();
  await dataDir?.remove();
});

const mutations = {
  registerDevice: (gql: ReturnType<typeof createGraphQLClient>, role: Role) =>
    gql(RegisterDeviceDocument, { input: { externalId: `by-${role}`, name: 'x', type: 't' } }),
  updateDevice: (gql: ReturnType<typeof createGraphQLClient>) =>
    gql(UpdateDeviceDocument, { id: deviceId, input: { name: 'renamed' } }),
  rotateDeviceToken: (gql: ReturnType<typeof createGraphQLClient>) =>
    gql(RotateDeviceTokenDocument, { id: deviceId }),
  disableDevice: (gql: ReturnType<typeof createGraphQLClient>) =>
    gql(DisableDeviceDocument, { id: deviceId }),
};

const expected: Record<Role, 'allowed' | 'FORBIDDEN'> = {
  viewer: 'FORBIDDEN',
  operator: 'allowed',
  admin: 'allowed',
};

describe.each(Object.entries(expected) as [Role, 'allowed' | 'FORBIDDEN'][])(
  'role %s',
  (role, outcome) => {
    it.each(Object.keys(mutations) as (keyof typeof mutations)[])(
      `%s is ${outcome}`,
      async (name) => {
        const gql = createGraphQLClient(app.baseUrl, await userToken(app.jwt, ORG, role));
        const result = await mutations[name](gql, role);
        if (outcome === 'allowed') {
          expect(result.errors).toBeUndefined();
          expect(result.data).toBeTruthy();
        } else {
          expect(result.data ?? null).toBeNull();
          expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        }
      },
    );

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
  },
);

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
