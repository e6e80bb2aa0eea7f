/**
 * An organization's own retention on the production roles: its admin shortens the raw retention
 * through the api (PostgreSQL), and the pipeline's retention round (at start, then hourly)
 * deletes that organization's points from InfluxDB and nobody else's, while the rollups keep
 * answering its whole hours. The points are older than the retention, so they are posted first,
 * before the organization sets it (ingest would refuse them after).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measurementOf } from '../../src/adapters/telemetry-store/influx-layout.js';
import { SetRetentionDocument, TelemetryDocument } from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { startRole, type RunningRole } from '../support/processes.js';
import { createProductionStack, findProductionServices } from '../support/production-stack.js';
import { userToken } from '../support/tokens.js';

const services = await findProductionServices();

const HOUR = 3_600_000;
/** Older than the retention the organization sets, within none set by the server. */
const START = Date.UTC(2026, 5, 1);
const POINTS = 600;
const body = Array.from({ length: POINTS }, (_, i) =>
  JSON.stringify({ ts: START + i * 1_000, metrics: { v: i } }),
).join('\n');

describe.skipIf(!services)("an organization's retention on the production roles", () => {
  let stack: Awaited<ReturnType<typeof createProductionStack>>;
  const roles: RunningRole[] = [];
  let api: RunningRole;
  /** The stack's organization, which sets its own retention, and one that does not. */
  const keeping = { deviceId: '', token: '' };
  const other = { organizationId: crypto.randomUUID(), deviceId: '', token: '' };

  beforeAll(async () => {
    stack = await createProductionStack(services!);
    const [ingest, pipeline, started] = await Promise.all([
      startRole('ingest', stack.env),
      startRole('pipeline', stack.env),
      startRole('api', stack.env),
    ]);
    roles.push(ingest, pipeline, started);
    api = started;
    const ours = await stack.registerDevice('retention-ours');
    keeping.deviceId = ours.id;
    await stack.devices.ensureOrganization(other.organizationId, 'other');
    const theirs = await stack.registerDevice('retention-theirs', other.organizationId);
    other.deviceId = theirs.id;
    other.token = await userToken(stack.jwt, other.organizationId, 'admin');
    keeping.token = stack.adminToken;
    for (const { token } of [ours, theirs]) {
      expect(
        (await postTelemetry(ingest.baseUrl, token, body, 'application/x-ndjson')).status,
      ).toBe(202);
    }
    await eventually(
      async () =>
        (await stack.countStoredPoints(keeping.deviceId, 'v')) === POINTS &&
        (await stack.countStoredPoints(
          other.deviceId,
          'v',
          measurementOf(other.organizationId),
        )) === POINTS
          ? true
          : undefined,
      30_000,
      'both organizations stored',
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(roles.map((role) => role.stop()));
    await stack?.cleanup();
  });

  const hourOf = (token: string, deviceId: string) =>
    expectData(
      createGraphQLClient(api.baseUrl, token)(TelemetryDocument, {
        id: deviceId,
        metrics: ['v'],
        from: new Date(START).toISOString(),
        to: new Date(START + HOUR).toISOString(),
        every: '1h',
        aggregates: ['COUNT', 'SUM'],
      }),
    );

  it("deletes that organization's points at the next round, keeps its rollups and the others' points", async () => {
    const set = await expectData(
      createGraphQLClient(api.baseUrl, keeping.token)(SetRetentionDocument, {
        input: { raw: '24h' },
      }),
    );
    expect(set.setRetention).toEqual({ raw: '1d', rollups: null });

    // The round runs when the pipeline starts (then hourly): a restarted pipeline runs one now.
    const pipeline = roles.splice(1, 1)[0]!;
    await pipeline.stop();
    roles.push(await startRole('pipeline', stack.env));
    await eventually(
      async () => ((await stack.countStoredPoints(keeping.deviceId, 'v')) === 0 ? true : undefined),
      30_000,
      "the organization's points deleted",
    );

    expect(
      await stack.countStoredPoints(other.deviceId, 'v', measurementOf(other.organizationId)),
    ).toBe(POINTS);
    // The whole hour is still answered, from the rollups, for both.
    const sum = (POINTS * (POINTS - 1)) / 2;
    for (const [token, deviceId] of [
      [keeping.token, keeping.deviceId],
      [other.token, other.deviceId],
    ] as const) {
      const answer = await hourOf(token, deviceId);
      expect(answer.device?.telemetry.map((bucket) => bucket.metrics)).toEqual([
        [expect.objectContaining({ metric: 'v', count: POINTS, sum })],
      ]);
    }
  }, 90_000);
});
