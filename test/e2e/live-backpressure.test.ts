/**
 * A dashboard that stops reading, over real WebSockets on the embedded app: its neighbour in the
 * same fan-out group receives every point while it is stalled, the server does not hold what the
 * stalled socket cannot take (its memory stays far below what was sent), and once the stalled
 * client reads again, every point is either delivered or counted in `extensions.dropped`:
 * nothing is lost silently.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { print } from 'graphql';
import { expect, it } from 'vitest';
import { LiveTelemetryDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import {
  createGraphQLClient,
  eventually,
  expectData,
  postTelemetry,
} from '../support/graphql-client.js';
import { openConnection, type Connection } from '../support/graphql-ws-connection.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp({
  // Thousands of points a second from one device: the rate limit is not what is tested here.
  RATE_LIMIT_DEVICE_PER_SECOND: '100000',
  RATE_LIMIT_DEVICE_BURST: '100000',
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The server's memory held in JavaScript objects and buffers (it runs in this process). */
async function settledMemory(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** What one subscription of a hand-spoken connection received: point times, and drops told. */
function watch(connection: Connection, id: string) {
  const seen = { times: [] as number[], dropped: 0, bytes: 0 };
  connection.socket.on('message', (data: Buffer) => {
    const message = JSON.parse(String(data)) as {
      id?: string;
      type: string;
      payload?: { data?: { telemetry: { ts: string } }; extensions?: { dropped?: number } };
    };
    if (message.type !== 'next' || message.id !== id || !message.payload?.data) return;
    seen.times.push(Date.parse(message.payload.data.telemetry.ts));
    seen.dropped += message.payload.extensions?.dropped ?? 0;
    seen.bytes += data.length;
  });
  return seen;
}

const POINTS = 3_000;
const PER_REQUEST = 50;
const METRICS = 40;

it('keeps the others on time and its memory bounded, and tells the stalled client what it lost', async () => {
  const gql = createGraphQLClient(app.baseUrl, app.adminToken);
  const { registerDevice } = await expectData(
    gql(RegisterDeviceDocument, {
      input: { externalId: 'busy', name: 'Busy meter', type: 'meter' },
    }),
  );
  const { device, token } = registerDevice;
  // Forty texts of 250 characters a point: about 11 KB a message, 33 MB in all, far beyond the
  // kernel's socket buffers, sent in a few seconds: a client that does not read for graphql-ws's
  // keep-alive (two pings, 24 s) is taken for dead and closed, which is not what is tested here.
  const metrics = Object.fromEntries(
    Array.from({ length: METRICS }, (_, i) => [`channel_${i}`, String(i % 10).repeat(250)]),
  );
  let ts = Date.UTC(2026, 0, 1);
  const send = async (count: number) => {
    const points = Array.from({ length: count }, () => ({ ts: ++ts, metrics }));
    const response = await postTelemetry(app.baseUrl, token, JSON.stringify(points));
    expect(response.status).toBe(202);
  };

  const fast = await openConnection(app.baseUrl, app.adminToken);
  const slow = await openConnection(app.baseUrl, app.adminToken);
  const fastSeen = watch(fast, 'f');
  const slowSeen = watch(slow, 's');
  // The same operation and variables: one fan-out group, one execution for both.
  const query = print(LiveTelemetryDocument);
  fast.subscribe('f', query, { deviceIds: [device.id] });
  slow.subscribe('s', query, { deviceIds: [device.id] });
  try {
    await eventually(
      async () => {
        await send(1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return fastSeen.times.length > 0 && slowSeen.times.length > 0 ? true : undefined;
      },
      10_000,
      'both subscriptions to be live',
    );
    // Stragglers of the pokes arrive before the stall.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const firstTs = ts + 1;
    const before = await settledMemory();

    slow.socket.pause();
    const inRange = (times: number[]) => times.filter((t) => t >= firstTs).length;
    for (let sent = 0; sent < POINTS; sent += PER_REQUEST) {
      await send(PER_REQUEST);
      // Offered no faster than the client that reads takes them (it runs in this process, beside
      // the server): what is tested is one slow client, not a burst too large for any.
      await eventually(
        async () =>
          inRange(fastSeen.times) + fastSeen.dropped >= sent + PER_REQUEST ? true : undefined,
        30_000,
        'the client that reads to keep up',
      );
    }
    await eventually(
      async () => (inRange(fastSeen.times) === POINTS ? true : undefined),
      30_000,
      'every point at the client that reads',
    );
    // The neighbour got everything while the other stalled, nothing dropped.
    expect(fastSeen.dropped).toBe(0);
    const bytesSent = (fastSeen.bytes * POINTS) / fastSeen.times.length;
    const grown = (await settledMemory()) - before;
    // Unbounded, the stalled socket's unsent messages would hold most of the 33 MB.
    expect(grown).toBeLessThan(bytesSent / 4);

    slow.socket.resume();
    await eventually(
      async () => (inRange(slowSeen.times) + slowSeen.dropped === POINTS ? true : undefined),
      30_000,
      'every point delivered or counted as dropped',
    );
    expect(slowSeen.dropped).toBeGreaterThan(0);
    // What it did receive is in order, ending with the newest point.
    const delivered = slowSeen.times.filter((t) => t >= firstTs);
    expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
    expect(delivered.at(-1)).toBe(ts);
  } finally {
    await Promise.all([fast.close(), slow.close()]);
  }
}, 120_000);
