/**
 * One contract for every DeviceRepository adapter (docs/architecture.md). Each test works in organizations
 * of its own, so the adapters under test can share one database per file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DuplicateExternalIdError,
  type Device,
  type DeviceRepository,
  type NewDevice,
} from '../../src/ports/device-repository.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { InputRefusedError } from '../../src/ports/input-refused.js';
import { uniqueSuffix } from '../support/services.js';

/** One credential's device, as ingest's authenticator looks it up (null: unknown or revoked). */
async function identityOf(repo: DeviceRepository, tokenHash: string) {
  return (await repo.findIdentitiesByTokenHashes([tokenHash])).get(tokenHash) ?? null;
}

export function describeDeviceRepositoryContract(
  name: string,
  open: () => Promise<MetadataDatabase>,
) {
  describe(`DeviceRepository contract: ${name}`, () => {
    let database: MetadataDatabase;
    let repo: DeviceRepository;
    beforeAll(async () => {
      database = await open();
      repo = database.devices;
    });
    afterAll(async () => {
      await database?.close();
    });

    async function newOrganization() {
      const id = `org-${uniqueSuffix()}`;
      await repo.ensureOrganization(id, `Organization ${id}`);
      return id;
    }
    let tokens = 0;
    const token = () => `token-hash-${uniqueSuffix()}-${++tokens}`;
    function create(organizationId: string, device: Partial<NewDevice> = {}, tokenHash = token()) {
      return repo.createDevice(
        {
          organizationId,
          externalId: `ext-${uniqueSuffix()}`,
          name: 'Device',
          type: 'sensor',
          ...device,
        },
        tokenHash,
      );
    }
    async function listAll(organizationId: string, filter = {}) {
      const page = await repo.listDevices({ organizationId, filter, first: 1000 });
      return page.devices.map((device) => device.externalId).sort();
    }

    it('answers ping', async () => {
      await expect(database.ping()).resolves.toBeUndefined();
    });

    it('ensureOrganization creates once and keeps the first name', async () => {
      const id = `org-${uniqueSuffix()}`;
      const first = await repo.ensureOrganization(id, 'Acme');
      const again = await repo.ensureOrganization(id, 'Renamed');
      expect(first).toMatchObject({ id, name: 'Acme' });
      expect(again).toEqual(first);
    });

    it('creates a device with defaults and finds it', async () => {
      const org = await newOrganization();
      const before = Date.now();
      const device = await create(org, { externalId: 'pump-1', name: 'Pump 1', type: 'pump' });
      expect(device).toMatchObject({
        organizationId: org,
        externalId: 'pump-1',
        name: 'Pump 1',
        type: 'pump',
        labels: {},
        location: null,
        status: 'ACTIVE',
        lastSeenAt: null,
      });
      expect(device.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(device.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(await repo.findDevices(org, [device.id])).toEqual([device]);
    });

    it('stores labels and a location with and without altitude', async () => {
      const org = await newOrganization();
      const high = await create(org, {
        labels: { site: 'north', floor: '3' },
        location: { latitude: 52.52, longitude: 13.405, altitude: 34.5 },
      });
      const flat = await create(org, { location: { latitude: -33.9, longitude: 151.2 } });
      const [foundHigh, foundFlat] = await repo.findDevices(org, [high.id, flat.id]);
      expect(foundHigh?.labels).toEqual({ site: 'north', floor: '3' });
      expect(foundHigh?.location).toEqual({ latitude: 52.52, longitude: 13.405, altitude: 34.5 });
      expect(foundFlat?.location).toEqual({ latitude: -33.9, longitude: 151.2, altitude: null });
    });

    it('rejects a duplicate externalId in one organization, allows it in another', async () => {
      const org = await newOrganization();
      const other = await newOrganization();
      await create(org, { externalId: 'dup' });
      const tokenHash = token();
      await expect(create(org, { externalId: 'dup' }, tokenHash)).rejects.toBeInstanceOf(
        DuplicateExternalIdError,
      );
      // The failed create stored no credential either.
      expect(await identityOf(repo, tokenHash)).toBeNull();
      await expect(create(other, { externalId: 'dup' })).resolves.toMatchObject({
        externalId: 'dup',
      });
    });

    it('refuses text the database cannot keep as bad input (InputRefusedError), and stays usable', async () => {
      const org = await newOrganization();
      // PostgreSQL refuses NUL in text (22021) and in JSON (22P05).
      await expect(create(org, { externalId: 'a\u0000b' })).rejects.toBeInstanceOf(
        InputRefusedError,
      );
      await expect(create(org, { labels: { site: 'a\u0000b' } })).rejects.toBeInstanceOf(
        InputRefusedError,
      );
      await expect(create(org, { externalId: 'after' })).resolves.toMatchObject({
        externalId: 'after',
      });
    });

    it('findDevices answers in the order asked, null for missing and foreign ids', async () => {
      const org = await newOrganization();
      const other = await newOrganization();
      const a = await create(org);
      const b = await create(org);
      const foreign = await create(other);
      const missing = '00000000-0000-4000-8000-000000000000';
      const found = await repo.findDevices(org, [
        b.id,
        missing,
        a.id,
        foreign.id,
        'not-a-uuid',
        b.id,
      ]);
      expect(found.map((device) => device?.id ?? null)).toEqual([
        b.id,
        null,
        a.id,
        null,
        null,
        b.id,
      ]);
      expect(await repo.findDevices(org, [])).toEqual([]);
      expect(await repo.findDevices(org, [a.id.toUpperCase()])).toEqual([a]);
    });

    it("treats another organization's device as nonexistent everywhere", async () => {
      const org = await newOrganization();
      const other = await newOrganization();
      const tokenHash = token();
      const foreign = await create(other, { name: 'Theirs' }, tokenHash);
      expect(await repo.findDevices(org, [foreign.id])).toEqual([null]);
      expect(await listAll(org)).toEqual([]);
      expect(await repo.updateDevice(org, foreign.id, { name: 'Mine now' })).toBeNull();
      expect(await repo.rotateCredential(org, foreign.id, token())).toBeNull();
      const [unchanged] = await repo.findDevices(other, [foreign.id]);
      expect(unchanged?.name).toBe('Theirs');
      expect(await identityOf(repo, tokenHash)).toMatchObject({
        deviceId: foreign.id,
        organizationId: other,
      });
    });

    it('pages by id: every device exactly once, in id order', async () => {
      const org = await newOrganization();
      const created: Device[] = [];
      for (let i = 0; i < 7; i++) created.push(await create(org));
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await repo.listDevices({ organizationId: org, first: 3, after });
        pages++;
        seen.push(...page.devices.map((device) => device.id));
        if (!page.hasNextPage) break;
        after = page.devices.at(-1)?.id;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(created.map((device) => device.id).sort());
      const exact = await repo.listDevices({ organizationId: org, first: 7 });
      expect(exact.hasNextPage).toBe(false);
      expect(exact.devices).toHaveLength(7);
    });

    it('filters by type, status, every label pair, and search', async () => {
      const org = await newOrganization();
      await create(org, {
        externalId: 'pump-north',
        name: 'Main Pump',
        type: 'pump',
        labels: { site: 'north', tier: 'gold' },
      });
      await create(org, {
        externalId: 'pump-south',
        name: 'Spare pump',
        type: 'pump',
        labels: { site: 'south', tier: 'gold' },
      });
      const meter = await create(org, {
        externalId: 'METER-100%',
        name: 'Meter',
        type: 'meter',
        labels: { site: 'north' },
      });
      await repo.updateDevice(org, meter.id, { status: 'DISABLED' });

      expect(await listAll(org, { type: 'pump' })).toEqual(['pump-north', 'pump-south']);
      expect(await listAll(org, { status: 'DISABLED' })).toEqual(['METER-100%']);
      expect(await listAll(org, { status: 'ACTIVE' })).toEqual(['pump-north', 'pump-south']);
      expect(await listAll(org, { labels: { site: 'north' } })).toEqual([
        'METER-100%',
        'pump-north',
      ]);
      expect(await listAll(org, { labels: { site: 'north', tier: 'gold' } })).toEqual([
        'pump-north',
      ]);
      expect(await listAll(org, { labels: { site: 'east' } })).toEqual([]);
      expect(await listAll(org, { search: 'PUMP' })).toEqual(['pump-north', 'pump-south']);
      expect(await listAll(org, { search: 'south' })).toEqual(['pump-south']);
      expect(await listAll(org, { search: '100%' })).toEqual(['METER-100%']);
      expect(await listAll(org, { search: '%' })).toEqual(['METER-100%']);
      expect(await listAll(org, { search: '_' })).toEqual([]);
      expect(
        await listAll(org, { type: 'pump', labels: { tier: 'gold' }, search: 'main' }),
      ).toEqual(['pump-north']);
    });

    it('countDevices and listFleet answer for the devices the filter matches, in their organization only', async () => {
      const org = await newOrganization();
      const other = await newOrganization();
      const north = await create(org, { type: 'meter', labels: { site: 'north', floor: '2' } });
      const south = await create(org, { type: 'meter', labels: { site: 'south' } });
      const pump = await create(org, { type: 'pump' });
      await create(other, { type: 'meter', labels: { site: 'north' } });
      const byId = [north, south, pump].sort((a, b) => (a.id < b.id ? -1 : 1));

      expect(await repo.countDevices(org, {})).toBe(3);
      expect(await repo.countDevices(org, { type: 'meter' })).toBe(2);
      expect(await repo.countDevices(org, { labels: { site: 'north' } })).toBe(1);
      expect(await repo.countDevices(org, { type: 'valve' })).toBe(0);
      expect(await repo.countDevices(`org-${uniqueSuffix()}`, {})).toBe(0);

      expect(await repo.listFleet(org, {}, 10)).toEqual(
        byId.map(({ id, type, labels }) => ({ id, type, labels })),
      );
      expect(await repo.listFleet(org, { labels: { site: 'north' } }, 10)).toEqual([
        { id: north.id, type: 'meter', labels: { site: 'north', floor: '2' } },
      ]);
      // A limit cuts the id order.
      expect((await repo.listFleet(org, {}, 2)).map((member) => member.id)).toEqual(
        byId.slice(0, 2).map((device) => device.id),
      );
      expect(await repo.listFleet(org, {}, 0)).toEqual([]);
      expect(await repo.listFleet(org, { search: 'nothing like it' }, 10)).toEqual([]);
    });

    it('updates only the fields in the patch', async () => {
      const org = await newOrganization();
      const device = await create(org, {
        name: 'Old',
        labels: { a: '1', b: '2' },
        location: { latitude: 1, longitude: 2, altitude: 3 },
      });
      const renamed = await repo.updateDevice(org, device.id, { name: 'New', labels: { c: '3' } });
      expect(renamed).toMatchObject({
        name: 'New',
        labels: { c: '3' },
        type: device.type,
        location: { latitude: 1, longitude: 2, altitude: 3 },
        status: 'ACTIVE',
      });
      expect(renamed!.updatedAt.getTime()).toBeGreaterThanOrEqual(device.updatedAt.getTime());
      const moved = await repo.updateDevice(org, device.id, { location: null, status: 'DISABLED' });
      expect(moved).toMatchObject({ name: 'New', location: null, status: 'DISABLED' });
      expect(await repo.findDevices(org, [device.id])).toEqual([moved]);
      expect(await repo.updateDevice(org, 'not-a-uuid', { name: 'x' })).toBeNull();
    });

    it('rotateCredential revokes every live credential and adds the new one', async () => {
      const org = await newOrganization();
      const first = token();
      const device = await create(org, {}, first);
      expect(await identityOf(repo, first)).toEqual({
        deviceId: device.id,
        organizationId: org,
        status: 'ACTIVE',
      });
      const second = token();
      expect((await repo.rotateCredential(org, device.id, second))?.id).toBe(device.id);
      const third = token();
      await repo.rotateCredential(org, device.id, third);
      expect(await identityOf(repo, first)).toBeNull();
      expect(await identityOf(repo, second)).toBeNull();
      expect(await identityOf(repo, third)).toMatchObject({ deviceId: device.id });
      const missing = '00000000-0000-4000-8000-000000000000';
      expect(await repo.rotateCredential(org, missing, token())).toBeNull();
    });

    it('finds the identities of many tokens at once, leaving out revoked and unknown ones', async () => {
      const org = await newOrganization();
      const [a, b, revoked, unknown] = [token(), token(), token(), token()];
      const first = await create(org, {}, a);
      const second = await create(org, {}, revoked);
      await repo.rotateCredential(org, second.id, b);
      await repo.updateDevice(org, second.id, { status: 'DISABLED' });
      const found = await repo.findIdentitiesByTokenHashes([a, b, revoked, unknown, a]);
      expect(found).toEqual(
        new Map([
          [a, { deviceId: first.id, organizationId: org, status: 'ACTIVE' }],
          [b, { deviceId: second.id, organizationId: org, status: 'DISABLED' }],
        ]),
      );
      expect(await repo.findIdentitiesByTokenHashes([])).toEqual(new Map());
    });

    it('rotation with a grace period keeps the old token valid until it ends', async () => {
      const org = await newOrganization();
      const old = token();
      const device = await create(org, {}, old);
      const fresh = token();
      await repo.rotateCredential(org, device.id, fresh, 1);
      expect(await identityOf(repo, old)).toMatchObject({ deviceId: device.id });
      expect(await identityOf(repo, fresh)).toMatchObject({ deviceId: device.id });
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(await identityOf(repo, old)).toBeNull();
      expect(await identityOf(repo, fresh)).toMatchObject({ deviceId: device.id });
    });

    it('a rotation without grace also cuts off tokens still in an earlier grace period', async () => {
      const org = await newOrganization();
      const leaked = token();
      const device = await create(org, {}, leaked);
      const second = token();
      await repo.rotateCredential(org, device.id, second, 3_600);
      expect(await identityOf(repo, leaked)).toMatchObject({ deviceId: device.id });
      const third = token();
      await repo.rotateCredential(org, device.id, third, 0);
      expect(await identityOf(repo, leaked)).toBeNull();
      expect(await identityOf(repo, second)).toBeNull();
      expect(await identityOf(repo, third)).toMatchObject({ deviceId: device.id });
    });

    it('a longer grace never extends an earlier, shorter one', async () => {
      const org = await newOrganization();
      const old = token();
      const device = await create(org, {}, old);
      await repo.rotateCredential(org, device.id, token(), 0);
      // Already revoked: a later rotation with a long grace must not bring it back.
      await repo.rotateCredential(org, device.id, token(), 3_600);
      expect(await identityOf(repo, old)).toBeNull();
    });

    it('concurrent rotations of one device leave exactly one live credential', async () => {
      const org = await newOrganization();
      const device = await create(org);
      const hashes = [token(), token(), token(), token()];
      await Promise.all(hashes.map((hash) => repo.rotateCredential(org, device.id, hash)));
      const live = await Promise.all(hashes.map((hash) => identityOf(repo, hash)));
      expect(live.filter((identity) => identity !== null)).toHaveLength(1);
    });

    it('a credential lookup reports the current status, null for unknown tokens', async () => {
      const org = await newOrganization();
      const tokenHash = token();
      const device = await create(org, {}, tokenHash);
      await repo.updateDevice(org, device.id, { status: 'DISABLED' });
      expect(await identityOf(repo, tokenHash)).toEqual({
        deviceId: device.id,
        organizationId: org,
        status: 'DISABLED',
      });
      expect(await identityOf(repo, 'no-such-hash')).toBeNull();
    });

    it('recordLastSeen writes a batch and only ever moves forward', async () => {
      const org = await newOrganization();
      const a = await create(org);
      const b = await create(org);
      const t = Date.UTC(2025, 0, 1, 12, 0, 0, 123);
      await repo.recordLastSeen(
        new Map([
          [a.id, t],
          [b.id, t + 5_000],
          ['00000000-0000-4000-8000-000000000000', t],
          ['not-a-uuid', t],
        ]),
      );
      const lastSeen = async () =>
        (await repo.findDevices(org, [a.id, b.id])).map((device) => device?.lastSeenAt?.getTime());
      expect(await lastSeen()).toEqual([t, t + 5_000]);

      await repo.recordLastSeen(
        new Map([
          [a.id, t + 1_000],
          [b.id, t],
        ]),
      );
      expect(await lastSeen()).toEqual([t + 1_000, t + 5_000]);
      await repo.recordLastSeen(new Map());
      expect(await lastSeen()).toEqual([t + 1_000, t + 5_000]);
    });
  });
}
