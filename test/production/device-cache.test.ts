/**
 * Device metadata served from each api replica's memory stays exact across replicas: two `api`
 * processes on the real engines (with `ingest` and the `pipeline`, for activity). A change made
 * through one api is in the other's very next answer (page, filter, count), never an answer from
 * before it, while activity (lastSeenAt, connectivity) follows the points with no change made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceDirectoryDocument,
  DisableDeviceDocument,
  RegisterDeviceDocument,
  UpdateDeviceDocument,
  type DeviceFilter,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';

const services = await findProductionServices();

describe.skipIf(!services)('device metadata across api replicas', () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  let roles: RunningRole[] = [];
  let writer: ReturnType<typeof createGraphQLClient>;
  let reader: ReturnType<typeof createGraphQLClient>;
  let ingestUrl: string;

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    roles = await Promise.all([
      startRole('api', stack.env),
      startRole('api', stack.env),
      startRole('ingest', stack.env),
      startRole('pipeline', stack.env),
    ]);
    writer = createGraphQLClient(roles[0]!.baseUrl, stack.adminToken);
    reader = createGraphQLClient(roles[1]!.baseUrl, stack.adminToken);
    ingestUrl = roles[2]!.baseUrl;
  }, 90_000);

  afterAll(async () => {
    await Promise.all(roles.map((role) => role.stop()));
    await stack?.cleanup();
  });

  const register = async (externalId: string, site: string) =>
    (
      await expectData(
        writer(RegisterDeviceDocument, {
          input: {
            externalId,
            name: externalId,
            type: 'meter',
            labels: [{ key: 'site', value: site }],
          },
        }),
      )
    ).registerDevice;
  /** The reader's answer, asked twice so that the second is the one its cache can serve. */
  const directory = async (filter: DeviceFilter = {}) => {
    await expectData(reader(DeviceDirectoryDocument, { filter }));
    const data = await expectData(reader(DeviceDirectoryDocument, { filter }));
    return { devices: data.devices.edges.map((edge) => edge.node), count: data.fleet.deviceCount };
  };
  const north = { labels: [{ key: 'site', value: 'north' }] };

  it("shows one api's changes in the other's next answer", async () => {
    const boiler = await register('boiler', 'north');
    await register('pump', 'north');
    expect((await directory(north)).count).toBe(2);

    await expectData(
      writer(UpdateDeviceDocument, {
        id: boiler.device.id,
        input: { name: 'Boiler two', labels: [{ key: 'site', value: 'south' }] },
      }),
    );
    const afterMove = await directory(north);
    expect(afterMove.devices.map((device) => device.name)).toEqual(['pump']);
    expect(afterMove.count).toBe(1);
    const everyDevice = await directory();
    expect(everyDevice.devices.find((d) => d.id === boiler.device.id)?.name).toBe('Boiler two');

    await expectData(writer(DisableDeviceDocument, { id: boiler.device.id }));
    expect((await directory()).devices.find((d) => d.id === boiler.device.id)?.status).toBe(
      'DISABLED',
    );
    expect((await directory({ status: 'ACTIVE' })).count).toBe(1);

    await register('valve', 'north');
    expect((await directory(north)).count).toBe(2);
  });

  it('never answers with a name from before a rename made on the other api', async () => {
    const { device } = await register('renamed', 'east');
    for (let round = 1; round <= 20; round++) {
      await directory();
      await expectData(
        writer(UpdateDeviceDocument, { id: device.id, input: { name: `r${round}` } }),
      );
      const seen = await expectData(reader(DeviceDirectoryDocument, { filter: {} }));
      const named = seen.devices.edges.find((edge) => edge.node.id === device.id)?.node.name;
      expect(named).toBe(`r${round}`);
    }
  });

  it("follows a device's activity while its metadata is served from memory", async () => {
    const { device, token } = await register('heard', 'west');
    const before = (await directory()).devices.find((d) => d.id === device.id)!;
    expect(before.lastSeenAt).toBeNull();
    expect(before.connectivity.state).toBe('NEVER_SEEN');

    const point = JSON.stringify({ ts: Date.now(), metrics: { power: 1 } });
    expect((await postTelemetry(ingestUrl, token, point)).status).toBe(202);
    const after = await eventually(async () => {
      const seen = (await directory()).devices.find((d) => d.id === device.id);
      return seen?.lastSeenAt && seen.connectivity.state === 'ONLINE' ? seen : undefined;
    });
    expect(after.name).toBe('heard');
  });
});
