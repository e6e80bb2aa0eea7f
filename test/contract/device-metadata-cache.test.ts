/**
 * The api's device metadata cache (src/adapters/device-repository/device-metadata-cache.ts) on
 * PostgreSQL with its version in Redis, as two api replicas use it: two caches over one database,
 * each with its own Redis connection. A change made through one is seen by the other's very next
 * read (pages, devices by id, counts, fleets), never an answer from before it; activity is read
 * afresh; with Redis away, reads go to the database rather than trust memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisMetadataVersions } from '../../src/adapters/device-metadata-versions/redis-metadata-versions.js';
import { withDeviceMetadataCache } from '../../src/adapters/device-repository/device-metadata-cache.js';
import { createPostgresDatabase } from '../../src/adapters/prisma/postgres.js';
import { isFromMetadataCache } from '../../src/ports/device-metadata-versions.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import type { DeviceMetadataVersions } from '../../src/ports/device-metadata-versions.js';
import type { DeviceRepository } from '../../src/ports/device-repository.js';
import { findService, uniqueSuffix } from '../support/services.js';
import { describeOnMigratedPostgres } from './postgres-test-database.js';

const redisUrl = await findService('redis');

await describeOnMigratedPostgres('device metadata cache across replicas', (url) => {
  describe.skipIf(!redisUrl)('on PostgreSQL and Redis', () => {
    let database: MetadataDatabase;
    const versions: DeviceMetadataVersions[] = [];
    let replicaA: DeviceRepository;
    let replicaB: DeviceRepository;
    let org: string;

    const cacheOver = (store: DeviceMetadataVersions) => {
      versions.push(store);
      return withDeviceMetadataCache(database.devices, {
        versions: store,
        maxEntries: 1_000,
        ttlMs: 60_000,
      });
    };

    beforeAll(async () => {
      database = await createPostgresDatabase({ url: url() });
      replicaA = cacheOver(createRedisMetadataVersions({ url: redisUrl! }));
      replicaB = cacheOver(createRedisMetadataVersions({ url: redisUrl! }));
      org = `org-${uniqueSuffix()}`;
      await database.devices.ensureOrganization(org, 'Cache test');
    });
    afterAll(async () => {
      await Promise.all(versions.map((store) => store.close()));
      await database?.close();
    });

    let serial = 0;
    const register = (name: string, labels: Record<string, string> = {}) =>
      replicaA.createDevice(
        { organizationId: org, externalId: `${name}-${++serial}`, name, type: 'meter', labels },
        `hash-${uniqueSuffix()}-${serial}`,
      );
    const page = (repo: DeviceRepository, filter = {}) =>
      repo.listDevices({ organizationId: org, filter, first: 100 });
    const names = async (repo: DeviceRepository, filter = {}) =>
      (await page(repo, filter)).devices.map((device) => device.name);

    it('serves a repeated read from memory, and a change made on one replica to the next read of the other', async () => {
      const boiler = await register('Boiler', { site: 'north' });
      await register('Pump', { site: 'north' });
      expect(await names(replicaB, { labels: { site: 'north' } })).toEqual(
        expect.arrayContaining(['Boiler', 'Pump']),
      );
      const again = await page(replicaB, { labels: { site: 'north' } });
      expect(again.devices.every(isFromMetadataCache)).toBe(true);
      expect(await replicaB.countDevices(org, {})).toBe(2);

      await replicaA.updateDevice(org, boiler.id, { name: 'Boiler 2', labels: { site: 'south' } });
      expect(await names(replicaB, { labels: { site: 'north' } })).toEqual(['Pump']);
      expect(await names(replicaB)).toContain('Boiler 2');
      const [found] = await replicaB.findDevices(org, [boiler.id]);
      expect(found?.labels).toEqual({ site: 'south' });

      await replicaA.updateDevice(org, boiler.id, { status: 'DISABLED' });
      expect(await replicaB.countDevices(org, { status: 'ACTIVE' })).toBe(1);
      const [disabled] = await replicaB.findDevices(org, [boiler.id]);
      expect(disabled?.status).toBe('DISABLED');

      await register('Valve', { site: 'north' });
      expect(await replicaB.countDevices(org, {})).toBe(3);
      expect(
        (await replicaB.listFleet(org, { labels: { site: 'north' } }, 10)).map((m) => m.id),
      ).toHaveLength(2);
    });

    it('never answers with a name from before a change, however quickly the other replica asks', async () => {
      const device = await register('Renamed 0');
      for (let round = 1; round <= 30; round++) {
        // Warm the other replica's entries, then change, then ask at once.
        await names(replicaB);
        await replicaB.findDevices(org, [device.id]);
        await replicaA.updateDevice(org, device.id, { name: `Renamed ${round}` });
        expect(await names(replicaB)).toContain(`Renamed ${round}`);
        expect((await replicaB.findDevices(org, [device.id]))[0]?.name).toBe(`Renamed ${round}`);
      }
    });

    it('reads activity afresh for a cached device', async () => {
      const device = await register('Heard');
      await names(replicaB);
      const cached = (await page(replicaB)).devices.find((d) => d.id === device.id)!;
      expect(isFromMetadataCache(cached)).toBe(true);
      expect(cached.lastSeenAt).toBeNull();
      const heardAt = Date.UTC(2026, 5, 1);
      await database.devices.recordLastSeen(new Map([[device.id, heardAt]]));
      const activity = await replicaB.findActivity(org, [device.id]);
      expect(activity.get(device.id)?.lastSeenAt?.getTime()).toBe(heardAt);
    });

    it('reads the database when Redis cannot be reached, rather than trust what it holds', async () => {
      const unreachable = cacheOver(createRedisMetadataVersions({ url: 'redis://127.0.0.1:1' }));
      await register('Fresh');
      const first = await page(unreachable);
      const second = await page(unreachable);
      expect(second.devices.some(isFromMetadataCache)).toBe(false);
      expect(second.devices.map((d) => d.name)).toEqual(first.devices.map((d) => d.name));
    });
  });
});
