/**
 * Device connectivity in the DeviceRepository (domain/connectivity.ts): deadlines from lastSeenAt
 * and the timeouts in force, and sweeps that move each device to the state its deadline says,
 * each transition claimed once. Sweeps cover every organization, so each test looks at its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectivityChange } from '../../src/domain/connectivity.js';
import type { DeviceRepository, NewDevice } from '../../src/ports/device-repository.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { uniqueSuffix } from '../support/services.js';

/** The server's timeout the database under test is opened with. */
export const SERVER_TIMEOUT_SECONDS = 600;

export function describeDeviceConnectivityContract(
  name: string,
  open: (settings: { heartbeatTimeoutSeconds: number }) => Promise<MetadataDatabase>,
) {
  describe(`device connectivity: ${name}`, () => {
    let database: MetadataDatabase;
    let repo: DeviceRepository;
    beforeAll(async () => {
      database = await open({ heartbeatTimeoutSeconds: SERVER_TIMEOUT_SECONDS });
      repo = database.devices;
    });
    afterAll(async () => {
      await database?.close();
    });

    async function newOrganization() {
      const id = `org-${uniqueSuffix()}`;
      await repo.ensureOrganization(id, id);
      return id;
    }
    function create(organizationId: string, device: Partial<NewDevice> = {}) {
      return repo.createDevice(
        {
          organizationId,
          externalId: `ext-${uniqueSuffix()}`,
          name: 'D',
          type: 'sensor',
          ...device,
        },
        `hash-${uniqueSuffix()}`,
      );
    }
    /** A sweep's transitions in the organization, by device. */
    async function sweep(org: string) {
      const changes = (await repo.sweepConnectivity()).filter((c) => c.organizationId === org);
      return new Map(changes.map((change) => [change.deviceId, change]));
    }
    async function stateOf(org: string, id: string) {
      const [device] = await repo.findDevices(org, [id]);
      return device!.connectivity;
    }
    const SECOND = 1_000;

    it('is NEVER_SEEN until heard from, ONLINE within the timeout, OFFLINE after, each transition once', async () => {
      const org = await newOrganization();
      const fresh = await create(org);
      const silent = await create(org, { heartbeatTimeoutSeconds: 5 });
      const never = await create(org);
      expect(fresh.connectivity.state).toBe('NEVER_SEEN');
      expect(fresh.heartbeatTimeoutSeconds).toBeNull();
      expect(silent.heartbeatTimeoutSeconds).toBe(5);

      const now = Date.now();
      const heardAt = now - 10 * SECOND;
      await repo.recordLastSeen(
        new Map([
          [fresh.id, now],
          [silent.id, heardAt],
        ]),
      );
      const changes = await sweep(org);
      expect([...changes.keys()].sort()).toEqual([fresh.id, silent.id].sort());
      expect(changes.get(fresh.id)).toMatchObject({ previous: 'NEVER_SEEN', state: 'ONLINE' });
      // OFFLINE since its deadline: last seen plus its own 5 s.
      expect(changes.get(silent.id)).toEqual<ConnectivityChange>({
        organizationId: org,
        deviceId: silent.id,
        previous: 'NEVER_SEEN',
        state: 'OFFLINE',
        since: heardAt + 5 * SECOND,
      });
      expect(await stateOf(org, silent.id)).toEqual({
        state: 'OFFLINE',
        since: new Date(heardAt + 5 * SECOND),
      });
      expect((await stateOf(org, fresh.id)).state).toBe('ONLINE');
      expect((await stateOf(org, never.id)).state).toBe('NEVER_SEEN');

      // Nothing is claimed twice.
      expect(await sweep(org)).toEqual(new Map());

      // Heard from again: ONLINE, since about now.
      const again = Date.now();
      await repo.recordLastSeen(new Map([[silent.id, again]]));
      const back = (await sweep(org)).get(silent.id);
      expect(back).toMatchObject({ previous: 'OFFLINE', state: 'ONLINE' });
      expect(back!.since).toBeGreaterThanOrEqual(again);
      expect(back!.since).toBeLessThanOrEqual(Date.now());
    });

    it("takes the device's own timeout, else its type's, else the server's, and follows changes at once", async () => {
      const org = await newOrganization();
      const gateway = await create(org, { type: 'gateway' });
      const heardAt = Date.now() - 100 * SECOND;
      await repo.recordLastSeen(new Map([[gateway.id, heardAt]]));
      // The server's 600 s: ONLINE.
      expect((await sweep(org)).get(gateway.id)).toMatchObject({ state: 'ONLINE' });

      // The type's 30 s: its deadline passed 70 s ago.
      await expect(
        repo.setDeviceType(org, { type: 'gateway', heartbeatTimeoutSeconds: 30 }),
      ).resolves.toEqual({ type: 'gateway', heartbeatTimeoutSeconds: 30 });
      expect((await sweep(org)).get(gateway.id)).toMatchObject({
        previous: 'ONLINE',
        state: 'OFFLINE',
        since: heardAt + 30 * SECOND,
      });

      // Its own 1000 s wins over the type's.
      const updated = await repo.updateDevice(org, gateway.id, { heartbeatTimeoutSeconds: 1000 });
      expect(updated?.heartbeatTimeoutSeconds).toBe(1000);
      expect((await sweep(org)).get(gateway.id)).toMatchObject({ state: 'ONLINE' });

      // Cleared: the type's again.
      await repo.updateDevice(org, gateway.id, { heartbeatTimeoutSeconds: null });
      expect((await sweep(org)).get(gateway.id)).toMatchObject({ state: 'OFFLINE' });

      // Moved to a type without settings: the server's.
      await repo.updateDevice(org, gateway.id, { type: 'meter' });
      expect((await sweep(org)).get(gateway.id)).toMatchObject({ state: 'ONLINE' });

      // The type's setting cleared: the server's for its devices.
      await repo.updateDevice(org, gateway.id, { type: 'gateway' });
      expect((await sweep(org)).get(gateway.id)).toMatchObject({ state: 'OFFLINE' });
      await repo.setDeviceType(org, { type: 'gateway', heartbeatTimeoutSeconds: null });
      expect((await sweep(org)).get(gateway.id)).toMatchObject({ state: 'ONLINE' });

      expect(await repo.listDeviceTypes(org)).toEqual([
        { type: 'gateway', heartbeatTimeoutSeconds: null },
      ]);
    });

    it('lists the types in use and those with settings, in its organization only', async () => {
      const org = await newOrganization();
      const other = await newOrganization();
      await create(org, { type: 'meter' });
      await create(org, { type: 'camera' });
      await repo.setDeviceType(org, { type: 'valve', heartbeatTimeoutSeconds: 60 });
      await repo.setDeviceType(other, { type: 'meter', heartbeatTimeoutSeconds: 5 });
      expect(await repo.listDeviceTypes(org)).toEqual([
        { type: 'camera', heartbeatTimeoutSeconds: null },
        { type: 'meter', heartbeatTimeoutSeconds: null },
        { type: 'valve', heartbeatTimeoutSeconds: 60 },
      ]);
    });

    it('filters and counts by connectivity, in its organization only', async () => {
      const org = await newOrganization();
      const other = await newOrganization();
      const online = await create(org, { type: 'a' });
      const offline = await create(org, { type: 'b', heartbeatTimeoutSeconds: 1 });
      const never = await create(org, { type: 'a' });
      const foreign = await create(other);
      await repo.recordLastSeen(
        new Map([
          [online.id, Date.now()],
          [offline.id, Date.now() - 60 * SECOND],
          [foreign.id, Date.now()],
        ]),
      );
      await repo.sweepConnectivity();
      const ids = async (filter: object) =>
        (await repo.listDevices({ organizationId: org, filter, first: 100 })).devices
          .map((device) => device.id)
          .sort();
      expect(await ids({ connectivity: ['ONLINE'] })).toEqual([online.id]);
      expect(await ids({ connectivity: ['OFFLINE', 'NEVER_SEEN'] })).toEqual(
        [offline.id, never.id].sort(),
      );
      expect(await ids({ connectivity: [] })).toEqual([]);
      expect(await repo.countByConnectivity(org, {})).toEqual({
        ONLINE: 1,
        OFFLINE: 1,
        NEVER_SEEN: 1,
      });
      expect(await repo.countByConnectivity(org, { type: 'a' })).toEqual({
        ONLINE: 1,
        OFFLINE: 0,
        NEVER_SEEN: 1,
      });
      expect(await repo.countDevices(org, { connectivity: ['ONLINE', 'OFFLINE'] })).toBe(2);
      expect(
        (await repo.listFleet(org, { connectivity: ['ONLINE'] }, 10)).map((member) => member.id),
      ).toEqual([online.id]);
    });

    it('claims each transition once when sweeps run at the same time', async () => {
      const org = await newOrganization();
      const devices = await Promise.all(
        Array.from({ length: 40 }, () => create(org, { heartbeatTimeoutSeconds: 1 })),
      );
      const heardAt = Date.now() - 60 * SECOND;
      await repo.recordLastSeen(new Map(devices.map((device) => [device.id, heardAt])));
      const sweeps = await Promise.all(Array.from({ length: 4 }, () => repo.sweepConnectivity()));
      const claimed = sweeps.flat().filter((change) => change.organizationId === org);
      expect(claimed.map((change) => change.deviceId).sort()).toEqual(
        devices.map((device) => device.id).sort(),
      );
      expect(new Set(claimed.map((change) => change.state))).toEqual(new Set(['OFFLINE']));
    });
  });
}
