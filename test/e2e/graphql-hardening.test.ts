/**
 * GraphQL hardening (issue 4) on the real embedded app: abusive operations are refused quickly,
 * with a documented `extensions.code`, over HTTP and WebSocket alike, while other clients keep
 * being served; the cost limit counts page sizes given as variables and weighs telemetry by
 * what it makes the store do; introspection follows config; cross-site simple requests are
 * refused.
 */
import { readdir, readFile } from 'node:fs/promises';
import { getIntrospectionQuery, Kind, parse, print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { operationCost } from '../../src/api/hardening/query-cost.js';
import { schema } from '../../src/schema/index.js';
import {
  AcknowledgeAlertEpisodeDocument,
  AlertEpisodesDocument,
  AlertRuleChannelsDocument,
  AlertRulesDocument,
  AlertStatusesDocument,
  AlertsDocument,
  ApiKeysDocument,
  ViewerDocument,
  ConnectivityOverviewDocument,
  CreateAlertRuleDocument,
  CreateApiKeyDocument,
  CreateNotificationChannelDocument,
  DeleteAlertRuleDocument,
  DeleteNotificationChannelDocument,
  DeviceConnectivityDocument,
  DeviceDirectoryDocument,
  DeviceDocument,
  DeviceLatestDocument,
  DeviceNameDocument,
  DeviceNamesDocument,
  DeviceTypesDocument,
  DevicesDocument,
  DisableDeviceDocument,
  EnableDeviceDocument,
  FleetOverviewDocument,
  LiveAlertEventsDocument,
  LiveAlertsDocument,
  LiveConnectivityDocument,
  LiveFleetLatestDocument,
  LiveTelemetryDocument,
  LiveTelemetryFilteredDocument,
  LiveTelemetryResumedDocument,
  LiveTelemetryShapedDocument,
  NotificationChannelsDocument,
  NotificationDeliveriesDocument,
  RawTelemetryDocument,
  RegisterDeviceDocument,
  RetentionDocument,
  RevokeApiKeyDocument,
  RotateDeviceTokenDocument,
  RotateNotificationChannelSecretDocument,
  SetDeviceTypeDocument,
  SetRetentionDocument,
  TelemetryDocument,
  UpdateAlertRuleDocument,
  UpdateDeviceDocument,
  UpdateNotificationChannelDocument,
} from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { liveClient } from '../support/live-client.js';
import { useEmbeddedApp, type EmbeddedApp } from '../support/use-embedded-app.js';

interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}
interface Answer {
  status: number;
  ms: number;
  body: { data?: unknown; errors?: GraphQLError[] };
}

/**
 * The schema is shallow (8 levels at most), so the test app gets a low depth limit: one that
 * still lets a device page select its telemetry (6 levels), as the cost tests do.
 */
const MAX_DEPTH = 7;
const WIDE_RANGE = 'from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z"';
const NORMAL_QUERY = '{ devices(first: 5) { edges { node { id name } } } }';
/**
 * A refusal is answered before any resolver runs (tens of ms). The bound is generous: on a
 * 2-core machine at load average 23 single refusals took up to 0.5 s.
 */
const QUICK_MS = 2_000;

const app = useEmbeddedApp({
  GRAPHQL_MAX_DEPTH: String(MAX_DEPTH),
  // Rate limiting is not under test here: the normal clients must never be throttled.
  RATE_LIMIT_USER_PER_SECOND: '1000000',
  RATE_LIMIT_USER_BURST: '1000000',
  // A new alert rule applies to the next batch, for the alerts subscription below.
  ALERT_RULE_CACHE_MS: '0',
});

async function post(
  target: EmbeddedApp,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${target.baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${target.adminToken}`,
      ...headers,
    },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const parsed = (await response.json()) as Answer['body'];
  return { status: response.status, ms: performance.now() - started, body: parsed };
}

const query = (target: EmbeddedApp, source: string, variables?: Record<string, unknown>) =>
  post(target, JSON.stringify({ query: source, variables }));

function codes(answer: Answer): (string | undefined)[] {
  return (answer.body.errors ?? []).map((error) => error.extensions?.code);
}

/** Over graphql-ws: the errors an operation is refused with, or null when it was answered. */
async function wsErrors(
  target: EmbeddedApp,
  source: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLError[] | null> {
  const client = liveClient(target.baseUrl, target.adminToken);
  try {
    return await new Promise((resolve) => {
      client.subscribe(
        { query: source, variables },
        {
          next: (message) => resolve((message.errors as GraphQLError[] | undefined) ?? null),
          error: (error) => resolve(error as GraphQLError[]),
          complete: () => resolve(null),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

const deepQuery = `{ devices(first: 1) { edges { node { rawTelemetry(${WIDE_RANGE}) {
  edges { node { metrics { metric } } } } } } } }`;
const aliasBomb = `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: devices { pageInfo { hasNextPage } }`).join(' ')} }`;
const fewAliasesTooMany = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: devices { pageInfo { hasNextPage } }`).join(' ')} }`;
const tokenFlood = `{ ${'__typename '.repeat(5_000)}}`;

const METRICS_50 = Array.from({ length: 50 }, (_, i) => `metric${i}`);
const HOUR = { from: '2026-03-01T00:00:00Z', to: '2026-03-01T01:00:00Z' };
const YEAR = { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' };

/**
 * 20 aliases (the limit) of a device page, each device aggregating `$metrics` every `$every`
 * (1 s unless given) over `$from`–`$to`. `page` is the page argument as written, if any.
 */
function telemetryPages(page: string, variables = '') {
  const devices = page ? `devices(${page})` : 'devices';
  const aliases = Array.from(
    { length: 20 },
    (_, i) => `a${i}: ${devices} { edges { node { telemetry(metrics: $metrics, from: $from,
      to: $to, every: $every, aggregates: [MEAN, MAX, P99]) { start metrics { metric mean max p99 } } } } }`,
  );
  return `query (${variables}$metrics: [String!]!, $from: DateTime!, $to: DateTime!,
    $every: String! = "1s") { ${aliases.join('\n')} }`;
}

/** The review's bypass: the page size is a variable (default 100), which armor counted as 1. */
const variablePages = telemetryPages('first: $n', '$n: Int = 100, ');
const BYPASS_VARIABLES = { metrics: METRICS_50, ...HOUR };
/** One device, one metric, per second for a century: about 3.2 billion buckets. */
const hugeBuckets = `{ device(id: "not-looked-up") { telemetry(metrics: ["temperature"],
  ${WIDE_RANGE}, every: "1s") { start } } }`;

/** The cost a refusal reports; fails unless it is QUERY_TOO_COMPLEX naming the default limit. */
function refusedCost(errors: GraphQLError[] | undefined | null): number {
  expect(errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
  const message = errors?.[0]?.message ?? '';
  const found = /^Query Cost limit of 20000 exceeded, found (\d+)\.$/.exec(message);
  expect(found, message).not.toBeNull();
  return Number(found?.[1]);
}

/** Over HTTP: refused before any resolver ran; returns the cost found. */
function refusedOverHttp(answer: Answer): number {
  return refusedCost(refusal(answer));
}

/** Over HTTP: the errors of a refusal that came before any resolver ran (no `data` at all). */
function refusal(answer: Answer): GraphQLError[] | undefined {
  expect(answer.body.data).toBeUndefined();
  return answer.body.errors;
}

function served(answer: Answer) {
  expect(answer.body.errors).toBeUndefined();
  expect(answer.status).toBe(200);
  return answer.body.data as Record<string, unknown>;
}

describe('query limits', () => {
  it('refuses a too-deep query, naming the limit', async () => {
    const answer = await query(app, deepQuery);
    expect(codes(answer)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(answer.body.errors?.[0]?.message).toMatch(/depth limit of 7 exceeded, found 8/);
    expect(answer.ms).toBeLessThan(QUICK_MS);
    expect(answer.body.data).toBeUndefined();
  });

  it('refuses too many aliases, and an alias bomb of 1,000', async () => {
    const few = await query(app, fewAliasesTooMany);
    expect(codes(few)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(few.body.errors?.[0]?.message).toMatch(/Aliases limit of 20 exceeded, found 30/);
    // 1,000 aliases are ~7,000 tokens: the token limit stops them while parsing.
    const bomb = await query(app, aliasBomb);
    expect(codes(bomb)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(bomb.ms).toBeLessThan(QUICK_MS);
  });

  it('refuses a token flood while parsing', async () => {
    const answer = await query(app, tokenFlood);
    expect(codes(answer)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(answer.body.errors?.[0]?.message).toMatch(/^Token limit of 2000 exceeded/);
    expect(answer.ms).toBeLessThan(QUICK_MS);
  });

  it('gives ordinary validation errors a code, and keeps field suggestions when introspection is on', async () => {
    const answer = await query(app, '{ devicez { edges { cursor } } }');
    expect(codes(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answer.body.errors?.[0]?.message).toMatch(/Did you mean .*"devices"/);
  });
});

describe('query cost', () => {
  it('refuses the variable page-size bypass over HTTP and graphql-ws, as it would a literal one', async () => {
    // At least the cells the store would aggregate: 20 pages × 100 devices × 50 metrics × 3,600 s.
    const cells = 20 * 100 * 50 * 3_600;
    const byDefault = await query(app, variablePages, BYPASS_VARIABLES);
    expect(refusedOverHttp(byDefault)).toBeGreaterThanOrEqual(cells);
    const given = await query(app, variablePages, { ...BYPASS_VARIABLES, n: 100 });
    expect(refusedOverHttp(given)).toBeGreaterThanOrEqual(cells);
    const literal = await query(app, telemetryPages('first: 100'), BYPASS_VARIABLES);
    expect(refusedOverHttp(literal)).toBeGreaterThanOrEqual(cells);
    expect(refusedCost(await wsErrors(app, variablePages, BYPASS_VARIABLES))).toBeGreaterThan(
      cells,
    );
    // Answered like the other limits (a validation error's status), not as a server error.
    expect(byDefault.status).toBe((await query(app, deepQuery)).status);
  });

  it('serves the same pages when they are small, given literally or as variables', async () => {
    const small = { metrics: ['temperature'], ...HOUR, every: '5m' };
    const data = served(await query(app, variablePages, { ...small, n: 2 }));
    expect(Object.keys(data)).toHaveLength(20);
    served(await query(app, telemetryPages('first: 2'), small));
    expect(await wsErrors(app, variablePages, { ...small, n: 2 })).toBeNull();
  });

  it('counts a page size left out (or null) as the resolver default of 20, not as 1', async () => {
    const perMinute = { metrics: ['temperature'], ...HOUR, every: '1m' };
    const optional = telemetryPages('first: $n', '$n: Int, ');
    // 20 pages × 20 devices × 60 buckets is over the limit; 20 pages × 1 device is not.
    expect(refusedOverHttp(await query(app, optional, perMinute))).toBeGreaterThan(20 * 20 * 60);
    refusedOverHttp(await query(app, optional, { ...perMinute, n: null }));
    refusedOverHttp(await query(app, telemetryPages(''), perMinute));
    served(await query(app, optional, { ...perMinute, n: 1 }));
  });

  it('weighs telemetry by metrics × buckets, and refuses a huge bucket count', async () => {
    expect(refusedOverHttp(await query(app, hugeBuckets))).toBeGreaterThan(3_000_000_000);
    const telemetry = `query ($id: ID!, $metrics: [String!]!, $from: DateTime!, $to: DateTime!,
      $every: String!) { device(id: $id) { telemetry(metrics: $metrics, from: $from, to: $to,
      every: $every) { start metrics { metric mean } } } }`;
    const { registerDevice } = await expectData(
      createGraphQLClient(app.baseUrl, app.adminToken)(RegisterDeviceDocument, {
        input: { externalId: 'cost-telemetry', name: 'Cost', type: 'thermometer' },
      }),
    );
    const id = registerDevice.device.id;
    const perSecond = { id, metrics: ['temperature'], ...YEAR, every: '1s' };
    expect(refusedCost(await wsErrors(app, telemetry, perSecond))).toBeGreaterThan(31_000_000);
    // A year of days: 365 buckets.
    served(await query(app, telemetry, { ...perSecond, every: '1d' }));
    expect(await wsErrors(app, telemetry, { ...perSecond, every: '1d' })).toBeNull();
    // A day of minutes: fine for one metric, not for 50 (a list length given as a variable).
    const day = { id, from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00Z', every: '1m' };
    served(await query(app, telemetry, { ...day, metrics: ['temperature'] }));
    const fifty = await query(app, telemetry, { ...day, metrics: METRICS_50 });
    expect(refusedOverHttp(fifty)).toBeGreaterThanOrEqual(50 * 1_440);
  });

  it('weighs rawTelemetry by its page and the telemetry subscription by its device ids', async () => {
    const page = `devices(first: $n) { edges { node {
      rawTelemetry(${WIDE_RANGE}, first: $page) { edges { node { ts } } } } } }`;
    const raw = `query ($n: Int, $page: Int) { a: ${page} b: ${page} }`;
    expect(refusedOverHttp(await query(app, raw, { n: 100, page: 1_000 }))).toBeGreaterThan(
      2 * 100 * 1_000,
    );
    // The page left out counts as the resolver's 100 points: twice 100 devices' worth is too much.
    expect(refusedOverHttp(await query(app, raw, { n: 100 }))).toBeGreaterThan(2 * 100 * 100);
    served(await query(app, raw, { n: 2, page: 100 }));
    // 5,000 ids cost more than the limit before the resolver would refuse more than 100.
    const ids = Array.from({ length: 5_000 }, (_, i) => `device-${i}`);
    const live = await wsErrors(app, print(LiveTelemetryDocument), { deviceIds: ids });
    expect(refusedCost(live)).toBeGreaterThan(5_000);
  });
});

/** The README's figures (GraphQL limits, Cost), counted the way the limit counts them. */
describe("query cost of the README's examples", () => {
  const cost = (source: string, variables?: Record<string, unknown>) =>
    operationCost({ schema, document: parse(source), variables });
  const device = (selection: string) => `{ device(id: "x") { ${selection} } }`;

  it('are what the README says', () => {
    // bench/graphql-page.ts's PAGE_QUERY.
    expect(
      cost('{ devices(first: 50) { edges { node { id name latest { metric value ts } } } } }'),
    ).toBe(451);
    const yearOfDays = `telemetry(metrics: ["temperature"], from: "2025-01-01T00:00:00Z",
      to: "2026-01-01T00:00:00Z", every: "1d") { start metrics { metric mean } }`;
    expect(cost(device(yearOfDays))).toBe(370);
    const rawPage = `rawTelemetry(${WIDE_RANGE}, first: 1000) { edges { node { ts metrics { metric value } } } }`;
    expect(cost(device(rawPage))).toBe(1_007);
    const dayOfMinutes = `query ($metrics: [String!]!) { device(id: "x") { telemetry(metrics: $metrics,
      from: "2026-03-01T00:00:00Z", to: "2026-03-02T00:00:00Z", every: "1m") { start metrics { metric mean } } } }`;
    const metrics = (n: number) => ({ metrics: METRICS_50.slice(0, n) });
    expect(cost(dayOfMinutes, metrics(13))).toBeLessThanOrEqual(20_000);
    expect(cost(dayOfMinutes, metrics(14))).toBeGreaterThan(20_000);
  });
});

describe('query cost of fragments', () => {
  it('refuses fragments that expand past what can be counted (10,000 fields)', async () => {
    // Each fragment selects the next twice (once through an inline fragment): 2^16 paths.
    const fragments = Array.from({ length: 16 }, (_, i) =>
      i === 15
        ? `fragment F${i} on Device { id }`
        : `fragment F${i} on Device { ...F${i + 1} ... on Device { ...F${i + 1} } }`,
    );
    const source = `{ device(id: "not-looked-up") { ...F0 } } ${fragments.join(' ')}`;
    const answer = await query(app, source);
    expect(codes(answer)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors?.[0]?.message).toBe(
      'Query Cost limit of 20000 exceeded: Query exceeds the maximum allowed number of nodes.',
    );
  });
});

/**
 * What the product and its tests send stays under the default limit: the benchmark's page of 50
 * devices, the README's example and every operation of test/operations, with the largest
 * arguments the tests give them.
 */
describe('query cost of the operations in use', () => {
  const gql = () => createGraphQLClient(app.baseUrl, app.adminToken);
  const devices: { id: string; token: string }[] = [];
  const ran = new Set<string>();

  function operationName(document: DocumentNode): string {
    const operation = document.definitions.find(
      (definition) => definition.kind === Kind.OPERATION_DEFINITION,
    );
    return operation && 'name' in operation ? (operation.name?.value ?? '') : '';
  }

  async function run<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<TData> {
    ran.add(operationName(document));
    return expectData(gql()(document, variables));
  }

  /** Subscribes over graphql-ws and pokes (sends points) until the first event arrives. */
  async function firstEvent(
    document: DocumentNode,
    variables: Record<string, unknown>,
    poke: () => Promise<void>,
  ) {
    ran.add(operationName(document));
    const client = liveClient(app.baseUrl, app.adminToken);
    const events: { data?: unknown; errors?: unknown }[] = [];
    const failures: unknown[] = [];
    client.subscribe(
      { query: print(document), variables },
      {
        next: (message) => void events.push(message),
        error: (error) => void failures.push(error),
        complete: () => undefined,
      },
    );
    try {
      return await eventually(
        async () => {
          if (failures.length > 0 || events.some((event) => event.errors)) {
            throw new Error(`subscription refused: ${JSON.stringify({ failures, events })}`);
          }
          if (events.length > 0) return events[0];
          await poke();
          return undefined;
        },
        10_000,
        `an event of ${operationName(document)}`,
      );
    } finally {
      await client.dispose();
    }
  }

  let ts = Date.now() - 3_600_000;
  async function send(device: { token: string }, metrics: Record<string, number>) {
    ts += 1;
    const response = await postTelemetry(
      app.baseUrl,
      device.token,
      JSON.stringify({ ts, metrics }),
    );
    expect(response.status).toBe(202);
  }

  beforeAll(async () => {
    for (let i = 0; i < 50; i++) {
      const data = await run(RegisterDeviceDocument, {
        input: { externalId: `page-${i}`, name: `Page ${i}`, type: 'thermometer' },
      });
      devices.push({ id: data.registerDevice.device.id, token: data.registerDevice.token });
    }
    for (const device of devices) await send(device, { temperature: 21, humidity: 40 });
  });

  it("serves the benchmark's page of 50 devices with their latest values", async () => {
    // bench/graphql-page.ts's PAGE_QUERY.
    const page = `{ devices(first: 50) { edges { node { id name latest { metric value ts } } } } }`;
    const data = served(await query(app, page)) as { devices: { edges: unknown[] } };
    expect(data.devices.edges).toHaveLength(50);
  });

  it("serves the README's telemetry example", async () => {
    const readme = `query ($id: ID!, $from: DateTime!, $to: DateTime!) { device(id: $id) {
      latest { metric value ts }
      telemetry(metrics: ["temperature"], from: $from, to: $to, every: "5m",
        aggregates: [MEAN, MIN, MAX, P95], fill: NULL) { start metrics { metric mean min max p95 } } } }`;
    const now = Date.now();
    const window = {
      id: devices[0]!.id,
      from: new Date(now - 3_600_000).toISOString(),
      to: new Date(now + 3_600_000).toISOString(),
    };
    served(await query(app, readme, window));
  });

  it('serves every operation of test/operations', async () => {
    const [device, spare] = [devices[0]!, devices[49]!];
    await run(DevicesDocument, { first: 100 });
    await run(DevicesDocument, {});
    await run(DeviceNamesDocument, {});
    await run(DeviceDirectoryDocument, { filter: {} });
    await run(DeviceDocument, { id: device.id });
    await run(DeviceLatestDocument, { id: device.id });
    await run(DeviceNameDocument, { id: device.id });
    await run(TelemetryDocument, {
      id: device.id,
      metrics: ['temperature'],
      from: '2025-01-01T00:00:00Z',
      to: '2027-01-01T00:00:00Z',
      every: '1d',
      aggregates: [
        'MEAN',
        'MIN',
        'MAX',
        'SUM',
        'COUNT',
        'FIRST',
        'LAST',
        'P50',
        'P90',
        'P95',
        'P99',
      ],
      fill: 'NULL',
    });
    await run(RawTelemetryDocument, {
      id: device.id,
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
      first: 1_000,
    });
    await run(FleetOverviewDocument, {
      metric: 'temperature',
      from: '2025-01-01T00:00:00Z',
      to: '2027-01-01T00:00:00Z',
    });
    await run(UpdateDeviceDocument, { id: spare.id, input: { name: 'Renamed' } });
    await run(RotateDeviceTokenDocument, { id: spare.id, gracePeriodSeconds: 0 });
    await run(DisableDeviceDocument, { id: spare.id });
    await run(EnableDeviceDocument, { id: spare.id });

    const point = await firstEvent(
      LiveTelemetryDocument,
      { deviceIds: devices.slice(0, 49).map((each) => each.id) },
      () => send(device, { temperature: 22 }),
    );
    expect(point?.data).toHaveProperty('telemetry.deviceId', device.id);
    const sampled = await firstEvent(
      LiveTelemetryShapedDocument,
      {
        deviceIds: devices.slice(0, 49).map((each) => each.id),
        metrics: ['temperature'],
        where: { metric: 'temperature', condition: 'GT', threshold: 0 },
        sampleEvery: '1s',
      },
      () => send(device, { temperature: 22 }),
    );
    expect(sampled?.data).toHaveProperty('telemetry.deviceId', device.id);
    const filtered = await firstEvent(
      LiveTelemetryFilteredDocument,
      { filter: { type: 'thermometer' }, metrics: ['temperature'] },
      () => send(device, { temperature: 22 }),
    );
    expect(filtered?.data).toHaveProperty('telemetry.deviceId', device.id);
    const resumed = await firstEvent(
      LiveTelemetryResumedDocument,
      { filter: { type: 'thermometer' }, since: new Date(ts - 1).toISOString() },
      async () => undefined,
    );
    expect(resumed?.data).toHaveProperty('telemetry.deviceId', device.id);
    const fleetNow = await firstEvent(
      LiveFleetLatestDocument,
      { metrics: ['temperature'], aggregates: ['COUNT', 'SUM'], groupBy: { device: true } },
      async () => undefined,
    );
    expect(fleetNow?.data).toHaveProperty('fleetLatest.groups');

    await run(DeviceConnectivityDocument, { id: device.id });
    await run(ConnectivityOverviewDocument, { filter: { connectivity: ['ONLINE', 'OFFLINE'] } });
    await run(SetDeviceTypeDocument, { input: { type: 'beacon', heartbeatTimeoutSeconds: 1 } });
    await run(DeviceTypesDocument, {});
    await run(SetRetentionDocument, { input: {} });
    await run(RetentionDocument, {});
    const { registerDevice: beacon } = await run(RegisterDeviceDocument, {
      input: { externalId: 'beacon', name: 'Beacon', type: 'beacon' },
    });
    // Each poke is longer than the beacon's 1 s timeout: a transition each way per poke.
    const transition = await firstEvent(
      LiveConnectivityDocument,
      { filter: { type: 'beacon' } },
      async () => {
        await send(beacon, { rssi: -60 });
        await new Promise((resolve) => setTimeout(resolve, 1_200));
      },
    );
    expect(transition?.data).toHaveProperty('deviceConnectivity.deviceId', beacon.device.id);

    const { createAlertRule: rule } = await run(CreateAlertRuleDocument, {
      input: { name: 'canary', metric: 'canary', condition: 'EQ', threshold: 1 },
    });
    // Toggling the metric changes the alert's status, so each poke can raise an event.
    const alert = await firstEvent(LiveAlertsDocument, {}, () => send(device, { canary: ts % 2 }));
    expect(alert?.data).toHaveProperty('alerts.ruleId', rule.id);
    const episodeEvent = await firstEvent(LiveAlertEventsDocument, {}, () =>
      send(device, { canary: ts % 2 }),
    );
    expect(episodeEvent?.data).toHaveProperty('alertEvents.episode.ruleId', rule.id);
    const { alertEpisodes } = await run(AlertEpisodesDocument, { ruleId: rule.id, first: 10 });
    await run(AcknowledgeAlertEpisodeDocument, {
      id: alertEpisodes.edges[0]!.node.id,
      note: 'seen',
    });
    await run(AlertsDocument, { ruleId: rule.id });
    await run(AlertsDocument, { first: 100 });
    await run(AlertStatusesDocument, {});
    await run(AlertRulesDocument, {});
    const { createNotificationChannel: created } = await run(CreateNotificationChannelDocument, {
      input: { name: 'ops', kind: 'WEBHOOK', url: 'https://hooks.example.com/alerts' },
    });
    const channelId = created.channel.id;
    await run(UpdateNotificationChannelDocument, { id: channelId, input: { enabled: false } });
    await run(RotateNotificationChannelSecretDocument, { id: channelId });
    await run(NotificationChannelsDocument, {});
    await run(UpdateAlertRuleDocument, {
      id: rule.id,
      input: { threshold: 2, channelIds: [channelId] },
    });
    await run(AlertRuleChannelsDocument, {});
    await run(NotificationDeliveriesDocument, { channelId, first: 10 });
    await run(DeleteNotificationChannelDocument, { id: channelId });
    await run(DeleteAlertRuleDocument, { id: rule.id });

    const { createApiKey } = await run(CreateApiKeyDocument, {
      input: { name: 'cost', scopes: ['READ_DEVICES', 'READ_TELEMETRY'] },
    });
    await run(ApiKeysDocument, {});
    await run(ViewerDocument, {});
    await run(RevokeApiKeyDocument, { id: createApiKey.apiKey.id });

    // Every operation the directory holds was run above.
    const directory = new URL('../operations/', import.meta.url);
    const names: string[] = [];
    for (const file of await readdir(directory)) {
      const document = parse(await readFile(new URL(file, directory), 'utf8'));
      for (const definition of document.definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION) names.push(definition.name!.value);
      }
    }
    expect([...ran].sort()).toEqual(names.sort());
  });
});

describe('request body size', () => {
  const oversized = JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(150_000) });

  it('refuses a declared oversized body with 413 before reading it', async () => {
    const answer = await post(app, oversized);
    expect(answer.status).toBe(413);
    expect(codes(answer)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(answer.ms).toBeLessThan(QUICK_MS);
  });

  it('refuses a streamed (chunked) body once it passes the limit', async () => {
    const bytes = new TextEncoder().encode(oversized);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 16_384) {
          controller.enqueue(bytes.subarray(offset, offset + 16_384));
        }
        controller.close();
      },
    });
    const answer = await post(app, stream);
    expect(answer.status).toBe(413);
    expect(codes(answer)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('still reads a streamed body under the limit', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ query: NORMAL_QUERY }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 10));
        controller.enqueue(bytes.subarray(10));
        controller.close();
      },
    });
    const answer = await post(app, stream);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
  });
});

describe('abuse under load', () => {
  it('answers every attack while a normal client keeps being served', async () => {
    const attacks: [string, () => Promise<Answer>, string][] = [
      ['deep query', () => query(app, deepQuery), 'QUERY_TOO_COMPLEX'],
      ['alias bomb', () => query(app, aliasBomb), 'QUERY_TOO_COMPLEX'],
      ['token flood', () => query(app, tokenFlood), 'QUERY_TOO_COMPLEX'],
      ['oversized body', () => post(app, 'x'.repeat(1_000_000)), 'PAYLOAD_TOO_LARGE'],
    ];
    let attacking = true;
    const normal: Answer[] = [];
    const normalClient = (async () => {
      while (attacking) normal.push(await query(app, NORMAL_QUERY));
    })();
    const started = performance.now();
    try {
      // 20 attacks at once, from the same process as the server: latency here is queueing,
      // so the bound is on the whole wave; each refusal alone is timed in its own test.
      const results = await Promise.all(
        attacks.flatMap(([name, attack, code]) =>
          Array.from({ length: 5 }, async () => ({ name, code, answer: await attack() })),
        ),
      );
      for (const { name, code, answer } of results) expect(codes(answer), name).toEqual([code]);
      expect(performance.now() - started).toBeLessThan(QUICK_MS * 5);
    } finally {
      attacking = false;
      await normalClient;
    }
    expect(normal.length).toBeGreaterThan(0);
    for (const answer of normal) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    }
  });
});

describe('costly operations under load', () => {
  it('refuses each one, over HTTP and graphql-ws, while a normal client keeps being served', async () => {
    const attacks: [string, () => Promise<GraphQLError[] | null | undefined>][] = [
      [
        'variable page bypass',
        async () => refusal(await query(app, variablePages, BYPASS_VARIABLES)),
      ],
      ['huge bucket count', async () => refusal(await query(app, hugeBuckets))],
      [
        'variable page bypass over graphql-ws',
        () => wsErrors(app, variablePages, BYPASS_VARIABLES),
      ],
      ['huge bucket count over graphql-ws', () => wsErrors(app, hugeBuckets)],
    ];
    let attacking = true;
    const normal: Answer[] = [];
    const normalClient = (async () => {
      while (attacking) normal.push(await query(app, NORMAL_QUERY));
    })();
    try {
      const results = await Promise.all(
        attacks.flatMap(([name, attack]) =>
          Array.from({ length: 5 }, async () => ({ name, errors: await attack() })),
        ),
      );
      for (const { name, errors } of results) {
        expect(
          errors?.map((error) => error.extensions?.code),
          name,
        ).toEqual(['QUERY_TOO_COMPLEX']);
      }
    } finally {
      attacking = false;
      await normalClient;
    }
    expect(normal.length).toBeGreaterThan(0);
    for (const answer of normal) served(answer);
  });
});

describe('over WebSocket (graphql-ws)', () => {
  it('applies the same limits to WebSocket operations', async () => {
    const depth = await wsErrors(app, deepQuery);
    expect(depth?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    const aliases = await wsErrors(app, fewAliasesTooMany);
    expect(aliases?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    const tokens = await wsErrors(app, tokenFlood);
    expect(tokens?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(await wsErrors(app, NORMAL_QUERY)).toBeNull();
  });
});

describe('introspection', () => {
  it('is allowed by default in embedded mode, including GraphiQL’s full introspection query', async () => {
    const answer = await query(app, getIntrospectionQuery());
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toHaveProperty('__schema.queryType.name', 'Query');
  });

  describe('with GRAPHQL_INTROSPECTION=false', () => {
    const closed = useEmbeddedApp({ GRAPHQL_INTROSPECTION: 'false' });

    it('refuses __schema and __type over HTTP and WebSocket, and hides field suggestions', async () => {
      for (const source of [getIntrospectionQuery(), '{ __type(name: "Device") { name } }']) {
        const answer = await query(closed, source);
        expect(codes(answer)).toContain('GRAPHQL_VALIDATION_FAILED');
        expect(answer.body.data).toBeUndefined();
        const overWs = await wsErrors(closed, source);
        expect(overWs?.map((error) => error.extensions?.code)).toContain(
          'GRAPHQL_VALIDATION_FAILED',
        );
      }
      const typo = await query(closed, '{ devicez { edges { cursor } } }');
      expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(typo.body.errors?.[0]?.message).not.toMatch(/devices/);
      // Ordinary operations are untouched.
      expect((await query(closed, NORMAL_QUERY)).body.errors).toBeUndefined();
    });
  });
});

describe('CSRF prevention', () => {
  const getUrl = () => `${app.baseUrl}/graphql?query=${encodeURIComponent('{ __typename }')}`;
  const auth = () => ({ authorization: `Bearer ${app.adminToken}` });

  it('refuses a cross-site-style GET without the header, and serves it with the header', async () => {
    const refused = await fetch(getUrl(), { headers: auth() });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as Answer['body'];
    expect(body.errors?.[0]?.extensions?.code).toBe('CSRF_HEADER_REQUIRED');

    const allowed = await fetch(getUrl(), {
      headers: { ...auth(), 'x-graphql-client': 'test', accept: 'application/json' },
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a text/plain POST (a form a browser sends cross-site without preflight)', async () => {
    const answer = await post(app, JSON.stringify({ query: '{ __typename }' }), {
      'content-type': 'text/plain',
    });
    expect(answer.status).toBe(403);
    expect(codes(answer)).toEqual(['CSRF_HEADER_REQUIRED']);
  });

  it('still serves GraphiQL to a browser', async () => {
    const page = await fetch(`${app.baseUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('GraphiQL');
  });
});
