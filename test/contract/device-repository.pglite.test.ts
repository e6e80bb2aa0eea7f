import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { describeDeviceConnectivityContract } from './device-connectivity.contract.js';
import { describeDeviceRepositoryContract } from './device-repository.contract.js';

describeDeviceRepositoryContract('PGlite (in memory)', () => createPgliteDatabase());
describeDeviceConnectivityContract('PGlite (in memory)', (settings) =>
  createPgliteDatabase(settings),
);

describe('PGlite device repository on disk', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('keeps its data across a reopen', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'iot-pglite-'));
    dirs.push(dataDir);
    const firstOpen = await createPgliteDatabase({ dataDir });
    const first = firstOpen.devices;
    await first.ensureOrganization('org-reopen', 'Reopen');
    const device = await first.createDevice(
      { organizationId: 'org-reopen', externalId: 'kept', name: 'Kept', type: 'sensor' },
      'reopen-token',
    );
    await first.recordLastSeen(new Map([[device.id, Date.UTC(2025, 5, 1)]]));
    await firstOpen.close();

    const secondOpen = await createPgliteDatabase({ dataDir });
    const second = secondOpen.devices;
    try {
      expect(await second.findDevices('org-reopen', [device.id])).toEqual([
        { ...device, lastSeenAt: new Date(Date.UTC(2025, 5, 1)) },
      ]);
      const identities = await second.findIdentitiesByTokenHashes(['reopen-token']);
      expect(identities.get('reopen-token')).toMatchObject({ deviceId: device.id });
    } finally {
      await secondOpen.close();
    }
  });
});
