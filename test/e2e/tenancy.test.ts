/**
 * Tenant isolation matrix: two organizations, each with users of every role and devices with
 * telemetry. Every query, mutation and subscription is tried across the boundary; a foreign id
 * must behave exactly like an id that does not exist, and nothing of the other tenant changes.
 */
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceDocument,
  DevicesDocument,
  DisableDeviceDocument,
  LiveTelemetryDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  RotateDeviceTokenDocument,
  TelemetryDocument,
  UpdateDeviceDocument,
} from '../generated/graphql.js';
import { liveClient } from '../support/live-client.js';
import { makeDataDir, startEmbeddedApp } from '../support/embedded-app.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { userToken } from '../support/tokens.js';
import type { Role } from '../../src/auth/viewer.js';

type App = Awaited<ReturnType<typeof startEmbeddedApp>>;
const ORGS = ['org-north', 'org-south'] as const;
const ROLES: Role[] = ['viewer', 'operator', 'admin'];
const RANGE = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };
const MISSING = '00000000-0000-4000-8000-0000000000ff';

let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
let app: App;
const tenants: Record<
  string,
  { tokens: Record<Role, string>; deviceId: string; deviceToken: string }
> = {};

const client = (org: string, role: Role) =>
  createGraphQLClient(app.baseUrl, tenants[org]!.tokens[role]);

beforeAll(async () => {
  dataDir = await makeDataDir();
  app = await startEmbeddedApp(dataDir.dir);
  for (const org of ORGS) {
    const tokens = Object.fromEntries(
      await Promise.all(ROLES.map(async (role) => [role, await userToken(app.jwt, org, role)])),
    ) as Record<Role, string>;
    const registered = await expectData(
      createGraphQLClient(app.baseUrl, tokens.admin)(RegisterDeviceDocument, {
        // The same externalId in both organizations: unique per organization only.
        input: { externalId: 'shared-external-id', name: `${org} sensor`, type: 'thermometer' },
      }),
    );
    const { device, token } = registered.registerDevice;
    tenants[org] = { tokens, deviceId: device.id, deviceToken: token };
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
          client(org, 'viewer')(RawTelemetryDocument, { id: tenants[org]!.deviceId, ...RANGE }),
        );
        return data.device.rawTelemetry.edges.length === 1 ? true : undefined;
      },
      10_000,
      `${org} telemetry stored`,
    );
  }
});

afterAll(async () => {
  await app?.stop();
  await dataDir?.remove();
});

/** The error a caller gets for an id, with the id itself blanked so messages compare. */
function normalised(
  result: { errors?: { message: string; extensions?: { code?: string } }[] },
  id: string,
) {
  return (result.errors ?? []).map((error) => ({
    message: error.message.replaceAll(id, '<id>'),
    code: error.extensions?.code,
  }));
}

describe.each(ORGS.map((org) => [org, ORGS.find((other) => other !== org)!]))(
  '%s looking at %s',
  (org, other) => {
    const foreignId = () => tenants[other]!.deviceId;

    it.each(ROLES)(
      'as %s, reads of a foreign device behave exactly like a missing one',
      async (role) => {
        const gql = client(org, role);
        const operations = [
          (id: string) => gql(DeviceDocument, { id }),
          (id: string) => gql(RawTelemetryDocument, { id, ...RANGE }),
          (id: string) =>
            gql(TelemetryDocument, { id, metrics: ['temperature'], ...RANGE, every: '1d' }),
        ];
        for (const operation of operations) {
          const foreign = await operation(foreignId());
          const missing = await operation(MISSING);
          expect(foreign.data ?? null).toBeNull();
          expect(normalised(foreign, foreignId())).toEqual(normalised(missing, MISSING));
          expect(normalised(foreign, foreignId())[0]?.code).toBe('NOT_FOUND');
        }
        const listed = await expectData(gql(DevicesDocument, { first: 100 }));
        expect(listed.devices.edges.map((edge) => edge.node.id)).toEqual([tenants[org]!.deviceId]);
        const searched = await expectData(gql(DevicesDocument, { filter: { search: 'sensor' } }));
        expect(searched.devices.edges.map((edge) => edge.node.id)).not.toContain(foreignId());
      },
    );

    it('mutations on a foreign device are NOT_FOUND and change nothing', async () => {
      const gql = client(org, 'admin');
      const before = await expectData(client(other, 'admin')(DeviceDocument, { id: foreignId() }));
      const mutations = [
        (id: string) => gql(UpdateDeviceDocument, { id, input: { name: 'hijacked' } }),
        (id: string) => gql(DisableDeviceDocument, { id }),
        (id: string) => gql(RotateDeviceTokenDocument, { id, gracePeriodSeconds: 0 }),
      ];
      for (const mutation of mutations) {
        const foreign = await mutation(foreignId());
        const missing = await mutation(MISSING);
        expect(normalised(foreign, foreignId())).toEqual(normalised(missing, MISSING));
        expect(normalised(foreign, foreignId())[0]?.code).toBe('NOT_FOUND');
      }
      const after = await expectData(client(other, 'admin')(DeviceDocument, { id: foreignId() }));
      expect(after).toEqual(before);
      // The other tenant's device token still works: it was neither rotated nor disabled.
      const write = await postTelemetry(
        app.baseUrl,
        tenants[other]!.deviceToken,
        JSON.stringify({ metrics: { temperature: 2 } }),
      );
      expect(write.status).toBe(202);
    });

    it('a subscription to a foreign device is refused like a missing one', async () => {
      const subscribe = (deviceIds: string[]) => {
        const ws = liveClient(app.baseUrl, tenants[org]!.tokens.viewer);
        return new Promise<{ message: string; extensions?: { code?: string } }[]>(
          (resolve, reject) => {
            ws.subscribe(
              { query: print(LiveTelemetryDocument), variables: { deviceIds } },
              {
                next: (message) => resolve((message.errors ?? []) as never),
                error: reject,
                complete: () => resolve([]),
              },
            );
          },
        ).finally(() => ws.dispose());
      };
      const foreign = await subscribe([foreignId()]);
      const missing = await subscribe([MISSING]);
      expect(normalised({ errors: foreign }, foreignId())).toEqual(
        normalised({ errors: missing }, MISSING),
      );
      expect(foreign[0]?.extensions?.code).toBe('NOT_FOUND');
      // Mixing an own and a foreign device is refused as a whole: nothing of either streams.
      const mixed = await subscribe([tenants[org]!.deviceId, foreignId()]);
      expect(mixed[0]?.extensions?.code).toBe('NOT_FOUND');
    });
  },
);

describe('device tokens', () => {
  it('a device token writes only its own device, in its own organization', async () => {
    const [north, south] = ORGS.map((org) => tenants[org]!);
    const before = await expectData(
      client(ORGS[1], 'viewer')(RawTelemetryDocument, { id: south!.deviceId, ...RANGE }),
    );
    // There is no way to address another device: the body cannot name one.
    const sneaky = await postTelemetry(
      app.baseUrl,
      north!.deviceToken,
      JSON.stringify({
        ts: Date.UTC(2026, 0, 2),
        deviceId: south!.deviceId,
        metrics: { temperature: 99 },
      }),
    );
    expect(sneaky.status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await expectData(
      client(ORGS[1], 'viewer')(RawTelemetryDocument, { id: south!.deviceId, ...RANGE }),
    );
    expect(after.device.rawTelemetry.edges.length).toBe(before.device.rawTelemetry.edges.length);
  });
});
