/**
 * Notification channel secrets at rest (auth/sealed-secrets.ts) in a real PostgreSQL: sealed in
 * the table, opened only for a claimed delivery, a delivery whose secret no key opens fails alone,
 * and a rotation or an earlier version's clear values are sealed again with the current key.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../src/adapters/prisma/postgres.js';
import {
  createSecretSealer,
  newSecretsKey,
  parseSecretsKey,
} from '../../src/auth/sealed-secrets.js';
import { episodeId } from '../../src/domain/alert-transitions.js';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { uniqueSuffix } from '../support/services.js';
import { describeOnMigratedPostgres } from './postgres-test-database.js';
import { TOO_HOT_RULE } from '../support/alert-fixtures.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ROUTING_KEY = 'R0UT1NGKEY0123456789ABCDEFGHIJKL';

function newKey() {
  const key = parseSecretsKey(newSecretsKey());
  if ('problem' in key) throw new Error(key.problem);
  return key;
}

await describeOnMigratedPostgres('notification channel secrets at rest', (url) => {
  const oldKey = newKey();
  const currentKey = newKey();
  let old: MetadataDatabase;
  let current: MetadataDatabase;
  let raw: pg.Client;

  beforeAll(async () => {
    old = await createPostgresDatabase({
      url: url(),
      channelSecrets: createSecretSealer({ current: oldKey }),
    });
    current = await createPostgresDatabase({
      url: url(),
      channelSecrets: createSecretSealer({ current: currentKey, previous: [oldKey] }),
    });
    raw = new pg.Client({ connectionString: url() });
    await raw.connect();
  });
  afterAll(async () => {
    await old?.close();
    await current?.close();
    await raw?.end();
  });

  async function stored(channelId: string) {
    const { rows } = await raw.query<{ signing_secret: string | null; routing_key: string | null }>(
      'SELECT signing_secret, routing_key FROM notification_channels WHERE id = $1',
      [channelId],
    );
    return rows[0]!;
  }

  /** An organization with a webhook and a PagerDuty channel, and a firing episode for both. */
  async function firingFor(db: MetadataDatabase) {
    const organizationId = `org-${uniqueSuffix()}`;
    await db.devices.ensureOrganization(organizationId, organizationId);
    const hook = await db.notifications.createChannel({
      organizationId,
      name: 'ops webhook',
      kind: 'WEBHOOK',
      url: 'https://hooks.example.com/a',
      signingSecret: SECRET,
    });
    const page = await db.notifications.createChannel({
      organizationId,
      name: 'on call',
      kind: 'PAGERDUTY',
      routingKey: ROUTING_KEY,
    });
    const device = await db.devices.createDevice(
      {
        organizationId,
        externalId: `ext-${uniqueSuffix()}`,
        name: 'Boiler',
        type: 'boiler',
        labels: {},
      },
      `hash-${uniqueSuffix()}`,
    );
    const rule = await db.alerts.createRule({
      organizationId,
      name: 'Too hot',
      metric: 'temperature',
      condition: 'GT',
      threshold: 30,
      channelIds: [hook.id, page.id],
    });
    await db.alerts.saveStates(
      organizationId,
      [],
      [
        {
          id: episodeId(rule.id, device.id, 1_000),
          ruleId: rule.id,
          deviceId: device.id,
          startedAt: 1_000,
          endedAt: null,
          startValue: 31,
          peakValue: 31,
          endValue: null,
          rule: TOO_HOT_RULE,
        },
      ],
    );
    return { organizationId, hook, page };
  }

  const claimOf = async (db: MetadataDatabase, organizationId: string) =>
    (await db.notifications.claimDeliveries(Date.now() + 1_000, 10_000, 30_000)).filter(
      (delivery) => delivery.organizationId === organizationId,
    );

  it('stores them sealed, and opens them only for a claimed delivery', async () => {
    const { organizationId, hook, page } = await firingFor(current);
    const values = [await stored(hook.id), await stored(page.id)].flatMap((row) =>
      Object.values(row).filter((value) => value !== null),
    );
    expect(values).toHaveLength(2);
    for (const value of values) {
      expect(value).not.toContain(SECRET.slice(6));
      expect(value).not.toContain(ROUTING_KEY);
      expect(value!.split('.')).toHaveLength(5);
    }
    const targets = (await claimOf(current, organizationId)).map((delivery) => delivery.target);
    expect(targets).toEqual(
      expect.arrayContaining([
        { kind: 'WEBHOOK', url: 'https://hooks.example.com/a', signingSecret: SECRET },
        { kind: 'PAGERDUTY', routingKey: ROUTING_KEY },
      ]),
    );

    // A new secret, sealed as well.
    await current.notifications.updateChannel(organizationId, hook.id, {
      signingSecret: 'whsec_new',
    });
    expect((await stored(hook.id)).signing_secret).not.toContain('whsec_new');
  });

  it('fails only the deliveries whose secret no key of this process opens, saying why', async () => {
    const sealedWithCurrent = await firingFor(current);
    const unopened = await claimOf(old, sealedWithCurrent.organizationId);
    expect(unopened).toHaveLength(2);
    for (const delivery of unopened) {
      expect(delivery.secretProblem).toMatch(
        /^channel secret unreadable: sealed with key \S+, which this process does not have/,
      );
      expect(JSON.stringify(delivery.target)).not.toMatch(/whsec_|R0UT/);
    }
    // The same process still opens what its own key sealed.
    const sealedWithOld = await firingFor(old);
    const opened = await claimOf(old, sealedWithOld.organizationId);
    expect(opened.map((delivery) => delivery.secretProblem)).toEqual([undefined, undefined]);
  });

  it('seals again what an earlier key sealed or an earlier version stored in clear', async () => {
    const rotated = await firingFor(old);
    const clear = await firingFor(current);
    await raw.query('UPDATE notification_channels SET signing_secret = $1 WHERE id = $2', [
      SECRET,
      clear.hook.id,
    ]);
    const before = await stored(rotated.hook.id);

    const { resealed } = await current.notifications.resealChannelSecrets();
    expect(resealed).toBeGreaterThanOrEqual(3);
    const after = await stored(rotated.hook.id);
    expect(after.signing_secret).not.toBe(before.signing_secret);
    expect((await stored(clear.hook.id)).signing_secret).not.toContain(SECRET.slice(6));

    // Without the old key now: the current one opens every secret.
    const withoutOldKey = await createPostgresDatabase({
      url: url(),
      channelSecrets: createSecretSealer({ current: currentKey }),
    });
    try {
      // One claim: it leases every due delivery, of every organization.
      const claimed = (
        await withoutOldKey.notifications.claimDeliveries(Date.now() + 1_000, 10_000, 30_000)
      ).filter(({ organizationId }) =>
        [rotated.organizationId, clear.organizationId].includes(organizationId),
      );
      expect(claimed).toHaveLength(4);
      expect(claimed.map((delivery) => delivery.secretProblem)).toEqual(Array(4).fill(undefined));
      expect(
        claimed.filter((delivery) => JSON.stringify(delivery.target).includes(SECRET)),
      ).toHaveLength(2);
      expect(await withoutOldKey.notifications.resealChannelSecrets()).toEqual({
        resealed: 0,
        unreadable: 0,
      });
    } finally {
      await withoutOldKey.close();
    }
  });

  it('leaves alone, and counts, what no key of this process opens', async () => {
    await firingFor(current);
    const stranger = await createPostgresDatabase({
      url: url(),
      channelSecrets: createSecretSealer({ current: newKey() }),
    });
    try {
      const { unreadable } = await stranger.notifications.resealChannelSecrets();
      expect(unreadable).toBeGreaterThanOrEqual(2);
    } finally {
      await stranger.close();
    }
  });
});
