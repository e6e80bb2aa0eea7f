/**
 * One contract for every ApiKeyRepository adapter. Each test works in organizations of its own,
 * so the adapters under test can share one database per file.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRepository, NewApiKey } from '../../src/ports/api-key-repository.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { uniqueSuffix } from '../support/services.js';

/** `open` gives every repository of one database; the contract tests `apiKeys`. */
export function describeApiKeyRepositoryContract(
  name: string,
  open: () => Promise<MetadataDatabase>,
) {
  describe(`ApiKeyRepository contract: ${name}`, () => {
    let opened: MetadataDatabase;
    let repo: ApiKeyRepository;
    beforeAll(async () => {
      opened = await open();
      repo = opened.apiKeys;
    });
    afterAll(async () => {
      await opened?.close();
    });

    const organization = () => `org-${uniqueSuffix()}`;
    let hashes = 0;
    function create(organizationId: string, key: Partial<NewApiKey> = {}) {
      return repo.createApiKey({
        organizationId,
        name: 'Dashboard',
        scopes: ['READ_TELEMETRY'],
        keyHash: `hash-${uniqueSuffix()}-${++hashes}`,
        prefix: 'iotk_abc123',
        ...key,
      });
    }

    it('creates a key in an organization it has never seen, and finds it by hash', async () => {
      const organizationId = organization();
      const expiresAt = new Date(Date.UTC(2030, 0, 1));
      const created = await create(organizationId, {
        name: 'Grafana',
        scopes: ['READ_DEVICES', 'READ_TELEMETRY', 'READ_DEVICES'],
        expiresAt,
        keyHash: 'hash-of-grafana-key',
      });
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        organizationId,
        name: 'Grafana',
        prefix: 'iotk_abc123',
        scopes: ['READ_DEVICES', 'READ_TELEMETRY'],
        createdAt: expect.any(Date),
        expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(await repo.findApiKeyByHash('hash-of-grafana-key')).toEqual(created);
      expect(await repo.findApiKeyByHash('no-such-hash')).toBeNull();
    });

    it('never hands out the hash', async () => {
      const organizationId = organization();
      const created = await create(organizationId, { keyHash: `secret-${uniqueSuffix()}` });
      const listed = await repo.listApiKeys(organizationId);
      for (const key of [created, ...listed]) expect(key).not.toHaveProperty('keyHash');
    });

    it("lists only the organization's keys, newest first", async () => {
      const mine = organization();
      const theirs = organization();
      const first = await create(mine, { name: 'first' });
      const second = await create(mine, { name: 'second', scopes: ['MANAGE_DEVICES'] });
      await create(theirs, { name: 'theirs' });
      expect(await repo.listApiKeys(mine)).toEqual([second, first]);
      expect(await repo.listApiKeys(organization())).toEqual([]);
    });

    it('revokes in the organization only, and keeps the first revocation time', async () => {
      const mine = organization();
      const keyHash = `revoked-${uniqueSuffix()}`;
      const key = await create(mine, { keyHash });
      expect(await repo.revokeApiKey(organization(), key.id)).toBeNull();
      expect((await repo.listApiKeys(mine))[0]?.revokedAt).toBeNull();

      const revoked = await repo.revokeApiKey(mine, key.id);
      expect(revoked).toEqual({ ...key, revokedAt: expect.any(Date) });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await repo.revokeApiKey(mine, key.id)).toEqual(revoked);
      expect(await repo.findApiKeyByHash(keyHash)).toEqual(revoked);
    });

    it('answers null for ids that name no key', async () => {
      const mine = organization();
      expect(await repo.revokeApiKey(mine, randomUUID())).toBeNull();
      expect(await repo.revokeApiKey(mine, 'not-a-uuid')).toBeNull();
    });

    it('records last-used times in one batch, moving forward only', async () => {
      const mine = organization();
      const a = await create(mine);
      const b = await create(mine);
      const t1 = Date.UTC(2026, 0, 1, 12);
      const t2 = t1 + 60_000;
      await repo.recordLastUsed(
        new Map([
          [a.id, t2],
          [b.id, t1],
          ['not-a-uuid', t1],
          [randomUUID(), t1],
        ]),
      );
      await repo.recordLastUsed(new Map([[a.id, t1]]));
      await repo.recordLastUsed(new Map());
      const byId = new Map((await repo.listApiKeys(mine)).map((key) => [key.id, key.lastUsedAt]));
      expect(byId.get(a.id)).toEqual(new Date(t2));
      expect(byId.get(b.id)).toEqual(new Date(t1));
    });
  });
}
