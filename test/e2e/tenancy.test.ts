/**
 * Tenant isolation matrix: two organizations, each with users of every role, API keys of every
 * scope, and a device with telemetry. Every query, mutation and subscription is tried across the
 * boundary by every kind of caller; a foreign id must behave exactly like an id that does not
 * exist (NOT_FOUND, or FORBIDDEN when the caller may not try at all), and nothing of the other
 * tenant changes.
 */
import { print } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/viewer.js';
import {
  CreateApiKeyDocument,
  DeviceDocument,
  DeviceLatestDocument,
  DeviceNamesDocument,
  DevicesDocument,
  DisableDeviceDocument,
  EnableDeviceDocument,
  FleetOverviewDocument,
  LiveTelemetryDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  RevokeApiKeyDocument,
  RotateDeviceTokenDocument,
  TelemetryDocument,
  UpdateDeviceDocument,
  type ApiKeyScope,
} from '../generated/graphql.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { userToken } from '../support/tokens.js';

type Client = ReturnType<typeof createGraphQLClient>;
interface Outcome {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const ORGS = ['org-north', 'org-south'] as const;
const ROLES: Role[] = ['viewer', 'operator', 'admin'];
const KEY_SCOPES: ApiKeyScope[][] = [
  ['READ_DEVICES'],
  ['READ_TELEMETRY'],
  ['MANAGE_DEVICES'],
  ['READ_DEVICES', 'READ_TELEMETRY', 'MANAGE_DEVICES'],
];
const RANGE = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };
const MISSING = '00000000-0000-4000-8000-0000000000ff';

interface Tenant {
  /** Every caller of the organization: users by role, API keys by scopes. */
  callers: Record<string, string>;
  deviceId: string;
  deviceToken: string;
  /** A key of the organization that others try to revoke. */
  apiKey: { id: string; key: string };
}

const app = useEmbeddedApp();
const tenants: Record<string, Tenant> = {};

const callerNames = [
  ...ROLES.map((role) => `user ${role}`),
  ...KEY_SCOPES.map((scopes) => `key ${scopes.join('+')}`),
];
const client = (org: string, caller: string) =>
  createGraphQLClient(app.baseUrl, tenants[org]!.callers[caller]);
const admin = (org: string) => client(org, 'user admin');

beforeAll(async () => {
  for (const org of ORGS) {
    const callers: Record<string, string> = {};
    for (const role of ROLES) callers[`user ${role}`] = await userToken(app.jwt, org, role);
    const adminClient = createGraphQLClient(app.baseUrl, callers['user admin']);
    const createKey = async (scopes: ApiKeyScope[]) =>
      (await expectData(adminClient(CreateApiKeyDocument, { input: { name: org, scopes } })))
        .createApiKey;
    for (const scopes of KEY_SCOPES)
      callers[`key ${scopes.join('+')}`] = (await createKey(scopes)).key;
    const target = await createKey(['READ_DEVICES']);
    const registered = await expectData(
      adminClient(RegisterDeviceDocument, {
        // The same externalId in both organizations: unique per organization only.
        input: { externalId: 'shared-external-id', name: `${org} sensor`, type: 'thermometer' },
      }),
    );
    const { device, token } = registered.registerDevice;
    tenants[org] = {
      callers,
      deviceId: device.id,
      deviceToken: token,
      apiKey: { id: target.apiKey.id, key: target.key },
    };
    const response = await postTelemetry(
      app.baseUrl,
      token,
      JSON.stringify({ ts: Date.UTC(2026, 0, 1), metrics: { temperature: 1 } }),
    );
    expect(response.status).toBe(202);
  }
  for (const org of ORGS) {
    await eventually(
      async () => {
        const data = await expectData(
          admin(org)(RawTelemetryDocument, { id: tenants[org]!.deviceId, ...RANGE }),
        );
        return data.device.rawTelemetry.edges.length === 1 ? true : undefined;
      },
      10_000,
      `${org} telemetry stored`,
    );
  }
});

/** The errors a caller gets for an id, with the id itself blanked so messages compare. */
function normalised(result: Outcome, id: string) {
  return (result.errors ?? []).map((error) => ({
    message: error.message.replaceAll(id, '<id>'),
    code: error.extensions?.code,
  }));
}

/** The first answer of a graphql-ws subscription (its error, when refused). */
function subscribeOnce(token: string, deviceIds: string[]): Promise<Outcome> {
  const ws = liveClient(app.baseUrl, token);
  return new Promise<Outcome>((resolve, reject) => {
    ws.subscribe(
      { query: print(LiveTelemetryDocument), variables: { deviceIds } },
      {
        next: (message) => resolve(message as Outcome),
        error: reject,
        complete: () => resolve({}),
      },
    );
  }).finally(() => ws.dispose());
}

/** Every operation that names a device, as a function of the device id. */
const deviceOperations: Record<
  string,
  (gql: Client, token: string, id: string) => Promise<Outcome>
> = {
  device: (gql, _token, id) => gql(DeviceDocument, { id }),
  latest: (gql, _token, id) => gql(DeviceLatestDocument, { id }),
  rawTelemetry: (gql, _token, id) => gql(RawTelemetryDocument, { id, ...RANGE }),
  telemetry: (gql, _token, id) =>
    gql(TelemetryDocument, {
      id,
      metrics: ['temperature'],
      from: '2025-01-01T00:00:00Z',
      to: '2027-01-01T00:00:00Z',
      every: '1d',
    }),
  updateDevice: (gql, _token, id) => gql(UpdateDeviceDocument, { id, input: { name: 'hijacked' } }),
  disableDevice: (gql, _token, id) => gql(DisableDeviceDocument, { id }),
  enableDevice: (gql, _token, id) => gql(EnableDeviceDocument, { id }),
  rotateDeviceToken: (gql, _token, id) =>
    gql(RotateDeviceTokenDocument, { id, gracePeriodSeconds: 0 }),
  'telemetry subscription': (_gql, token, id) => subscribeOnce(token, [id]),
};

describe.each(ORGS.map((org) => [org, ORGS.find((other) => other !== org)!]))(
  '%s looking at %s',
  (org, other) => {
    const foreignDevice = () => tenants[other]!.deviceId;

    describe.each(callerNames)('as %s', (caller) => {
      it.each(Object.keys(deviceOperations))(
        '%s on a foreign device behaves exactly like on a missing one',
        async (name) => {
          const token = tenants[org]!.callers[caller]!;
          const run = (id: string) => deviceOperations[name]!(client(org, caller), token, id);
          const foreign = await run(foreignDevice());
          const missing = await run(MISSING);
          expect(foreign.data ?? null).toBeNull();
          expect(normalised(foreign, foreignDevice())).toEqual(normalised(missing, MISSING));
          expect(['NOT_FOUND', 'FORBIDDEN']).toContain(foreign.errors?.[0]?.extensions?.code);
        },
      );

      it('lists and searches only its own devices', async () => {
        const gql = client(org, caller);
        for (const listed of [
          await gql(DeviceNamesDocument, {}),
          await gql(DevicesDocument, { filter: { search: 'sensor' } }),
        ]) {
          expect(JSON.stringify(listed)).not.toContain(foreignDevice());
          if (!listed.errors) {
            const ids = listed.data!.devices.edges.map((edge) => edge.node.id);
            expect(ids).toEqual([tenants[org]!.deviceId]);
          } else {
            expect(listed.errors[0]?.extensions?.code).toBe('FORBIDDEN');
          }
        }
      });

      it('fleet counts, pools and ranks only its own devices and points', async () => {
        const gql = client(org, caller);
        // Both organizations sent temperature 1 at the same time: pooled together, COUNT is 2.
        const answer = await gql(FleetOverviewDocument, {
          metric: 'temperature',
          from: '2025-01-01T00:00:00Z',
          to: '2027-01-01T00:00:00Z',
        });
        expect(JSON.stringify(answer)).not.toContain(foreignDevice());
        // A caller without devices:read gets nothing; without telemetry:read, the counts only.
        for (const error of answer.errors ?? []) expect(error.extensions?.code).toBe('FORBIDDEN');
        const fleet = answer.data?.fleet;
        if (!fleet) return;
        const own = tenants[org]!.deviceId;
        expect(fleet.deviceCount).toBe(1);
        if (answer.errors?.length) return;
        expect(fleet.reporting).toBe(1);
        expect(fleet.telemetry.series.map((s) => s.buckets.map((b) => b.metrics))).toEqual([
          [[{ metric: 'temperature', count: 1, sum: 1 }]],
        ]);
        expect(fleet.byDevice.series.map((s) => s.group.device?.id)).toEqual([own]);
        expect(fleet.latest).toEqual([
          {
            group: { value: own },
            metrics: [{ metric: 'temperature', count: 1, sum: 1 }],
          },
        ]);
        expect(fleet.top).toEqual([{ device: { id: own }, value: 1 }]);
      });

      it("revoking the other organization's key behaves like revoking a missing one", async () => {
        const gql = client(org, caller);
        const foreignKey = tenants[other]!.apiKey.id;
        const foreign = await gql(RevokeApiKeyDocument, { id: foreignKey });
        const missing = await gql(RevokeApiKeyDocument, { id: MISSING });
        expect(foreign.data ?? null).toBeNull();
        expect(normalised(foreign, foreignKey)).toEqual(normalised(missing, MISSING));
      });
    });

    it('a subscription mixing an own and a foreign device is refused as a whole', async () => {
      const mixed = await subscribeOnce(tenants[org]!.callers['user viewer']!, [
        tenants[org]!.deviceId,
        foreignDevice(),
      ]);
      expect(mixed.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  },
);

describe('after every attempt across the boundary', () => {
  it.each(ORGS)("%s's device, token and keys are untouched", async (org) => {
    const tenant = tenants[org]!;
    const device = await expectData(admin(org)(DeviceDocument, { id: tenant.deviceId }));
    expect(device.device.name).toBe(`${org} sensor`);
    const status = await expectData(admin(org)(DevicesDocument, {}));
    expect(status.devices.edges.map((edge) => edge.node.status)).toEqual(['ACTIVE']);
    // Neither rotated nor disabled: the device still writes.
    const write = await postTelemetry(
      app.baseUrl,
      tenant.deviceToken,
      JSON.stringify({ metrics: { temperature: 2 } }),
    );
    expect(write.status).toBe(202);
    // Not revoked: the key still reads.
    await expectData(createGraphQLClient(app.baseUrl, tenant.apiKey.key)(DeviceNamesDocument, {}));
  });
});

describe('device tokens', () => {
  it('a device token writes only its own device, in its own organization', async () => {
    const [north, south] = ORGS.map((org) => tenants[org]!);
    const sneakyTs = Date.UTC(2026, 0, 2);
    // There is no way to address another device: the body cannot name one.
    const sneaky = await postTelemetry(
      app.baseUrl,
      north!.deviceToken,
      JSON.stringify({ ts: sneakyTs, deviceId: south!.deviceId, metrics: { temperature: 99 } }),
    );
    expect(sneaky.status).toBe(400);
    // Points are stored in the order they are accepted: once a later point of the south device
    // is stored, the sneaky one would be too.
    const laterTs = Date.UTC(2026, 0, 3);
    const later = await postTelemetry(
      app.baseUrl,
      south!.deviceToken,
      JSON.stringify({ ts: laterTs, metrics: { temperature: 3 } }),
    );
    expect(later.status).toBe(202);
    const stored = await eventually(
      async () => {
        const data = await expectData(
          admin(ORGS[1])(RawTelemetryDocument, { id: south!.deviceId, ...RANGE, first: 1000 }),
        );
        const points = data.device.rawTelemetry.edges.map((edge) => edge.node);
        return points.some((point) => Date.parse(point.ts) === laterTs) ? points : undefined;
      },
      10_000,
      'the later point of the south device',
    );
    const leaked = stored.filter(
      (point) =>
        Date.parse(point.ts) === sneakyTs || point.metrics.some((metric) => metric.value === 99),
    );
    expect(leaked).toEqual([]);
  });
});
