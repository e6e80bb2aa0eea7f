/**
 * What thousands of subscriptions hold is given back when their connections close (issue 7): the
 * caps count down to zero (the full cap can be opened again at once) and the server's heap
 * returns near where it was. The embedded app runs in this test process, so its heap is this
 * process's, measured after forced collections. Also: while one connection is at its cap and
 * keeps asking for more, another client's query is answered.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, expect, it } from 'vitest';
import { DEFAULT_ORGANIZATION } from '../../src/app/embedded.js';
import { signUserToken } from '../../src/auth/jwt.js';
import { DevicesDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { openConnection, type Connection } from '../support/graphql-ws-connection.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const CONNECTIONS = 4;
const PER_CONNECTION = 1_000;
const PER_USER = CONNECTIONS * PER_CONNECTION;

const app = useEmbeddedApp({
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(PER_CONNECTION),
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_USER: String(PER_USER),
  // Thousands of subscribes in a few seconds: the rate limit is not what is tested here.
  RATE_LIMIT_USER_PER_SECOND: '100000',
  RATE_LIMIT_USER_BURST: '100000',
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The heap in use once everything unreachable is gone (a few passes: finalizers free more). */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;
let device: { id: string; token: string };
let token: string;

beforeAll(async () => {
  const admin = createGraphQLClient(app.baseUrl, app.adminToken);
  const registered = await expectData(
    admin(RegisterDeviceDocument, {
      input: { externalId: 'release', name: 'Release sensor', type: 'thermometer' },
    }),
  );
  device = { id: registered.registerDevice.device.id, token: registered.registerDevice.token };
  token = await signUserToken(
    app.jwt,
    { subject: 'many-panels', organizationId: DEFAULT_ORGANIZATION.id, role: 'viewer' },
    '1h',
  );
});

/**
 * The `i`th subscription: every other one shares a fan-out group with the others like it, the
 * rest are each a group of their own (an alias makes the document unique), with its own live
 * hub listener: both kinds of what a subscription holds.
 */
function query(i: number) {
  const alias = i % 2 === 0 ? '' : `m${i}: `;
  return `subscription Live($deviceIds: [ID!]!) {
    telemetry(deviceIds: $deviceIds) { deviceId ts ${alias}metrics { metric value } }
  }`;
}

/** Opens `PER_USER` subscriptions over `CONNECTIONS` sockets, each then at its cap. */
async function openFullCap(): Promise<Connection[]> {
  const connections = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => openConnection(app.baseUrl, token)),
  );
  connections.forEach((connection, c) => {
    for (let i = 0; i < PER_CONNECTION; i++) {
      connection.subscribe(`s${i}`, query(c * PER_CONNECTION + i), { deviceIds: [device.id] });
    }
  });
  return connections;
}

/** Posts points until every subscription (`s0`… on each) has had an event: all are live. */
async function expectAllLive(connections: Connection[], perConnection = PER_CONNECTION) {
  await eventually(
    async () => {
      await postTelemetry(
        app.baseUrl,
        device.token,
        JSON.stringify({ ts: Date.now(), metrics: { temperature: 20 } }),
      );
      const refused = connections.flatMap((connection) =>
        Array.from({ length: perConnection }, (_, i) => connection.errorsOf(`s${i}`)).filter(
          Boolean,
        ),
      );
      if (refused.length > 0) throw new Error(`refused: ${JSON.stringify(refused[0])}`);
      return connections.every((connection) =>
        Array.from({ length: perConnection }, (_, i) => connection.received(`s${i}`) > 0).every(
          Boolean,
        ),
      )
        ? true
        : undefined;
    },
    30_000,
    `${connections.length * perConnection} live subscriptions`,
  );
}

it('gives back what closed connections held: the caps count down to zero, the heap returns near its baseline', async () => {
  const cold = await settledHeap();
  // Warm up with the same documents: yoga keeps up to 1,024 parsed documents (about 15 MB of
  // these 2,000 distinct ones) and V8 compiles code; both stay, bounded, after any first use.
  const warm = await openFullCap();
  await expectAllLive(warm);
  for (const connection of warm) await connection.close();
  const baseline = await settledHeap();
  const baselineRss = process.memoryUsage().rss;

  const connections = await openFullCap();
  await expectAllLive(connections);
  const peak = await settledHeap();
  const peakRss = process.memoryUsage().rss;
  await Promise.all(connections.map((connection) => connection.close()));
  // Released promptly: within a few seconds of the close (the issue found memory still held 5 s
  // after it). The server sees the close about when the clients do; nothing waits for a timer.
  const closedAt = Date.now();
  const held = peak - baseline;
  const margin = Math.max(0.1 * held, 5 * MB);
  let afterClose = await settledHeap();
  while (afterClose - baseline >= margin && Date.now() - closedAt < 3_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    afterClose = await settledHeap();
  }
  const releasedInMs = Date.now() - closedAt;
  const afterCloseRss = process.memoryUsage().rss;

  // Every slot is back: the full cap opens again at once.
  const reopened = await openFullCap();
  await expectAllLive(reopened);
  await Promise.all(reopened.map((connection) => connection.close()));

  console.log(
    `heap: cold ${(cold / MB).toFixed(1)} MB, baseline ${(baseline / MB).toFixed(1)} MB, ` +
      `${PER_USER} subscriptions ${(peak / MB).toFixed(1)} MB ` +
      `(${(held / PER_USER / 1024).toFixed(0)} KB each), ` +
      `${releasedInMs} ms after closing ${(afterClose / MB).toFixed(1)} MB ` +
      `(rss ${(baselineRss / MB).toFixed(0)}, ${(peakRss / MB).toFixed(0)}, ` +
      `${(afterCloseRss / MB).toFixed(0)} MB)`,
  );
  // The subscriptions held something worth measuring, and it was given back.
  expect(held).toBeGreaterThan(10 * MB);
  expect(afterClose - baseline).toBeLessThan(margin);
}, 120_000);

it("answers another client's query while a connection at its cap keeps subscribing", async () => {
  const full = await openConnection(app.baseUrl, token);
  for (let i = 0; i < PER_CONNECTION; i++) {
    full.subscribe(`s${i}`, query(i), { deviceIds: [device.id] });
  }
  // As the client did: thousands more on the same socket, all refused.
  for (let i = 0; i < 5 * PER_CONNECTION; i++) {
    full.subscribe(`over${i}`, query(i), { deviceIds: [device.id] });
  }
  const other = createGraphQLClient(app.baseUrl, app.adminToken);
  const asked = Date.now();
  const answer = await expectData(other(DevicesDocument, { first: 1 }));
  expect(answer.devices.edges).toHaveLength(1);
  console.log(`another client's query answered in ${Date.now() - asked} ms`);
  await eventually(
    async () => (full.errorsOf(`over${5 * PER_CONNECTION - 1}`) ? true : undefined),
    20_000,
    'the last refusal',
  );
  expect(full.errorsOf('over0')).toMatchObject([
    { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', maxSubscriptions: PER_CONNECTION } },
  ]);
  expect(full.socket.readyState).toBe(full.socket.OPEN);
  await full.close();
}, 60_000);
