/**
 * The live fan-out baseline (docs/architecture.md, "Performance goals"): a bare `ws` server that
 * takes each event from a Redis channel (as our api process takes points from the Redis live hub)
 * and broadcasts one JSON message, serialized once, to every connected client. The message has the
 * shape and size of our graphql-ws `next` frame for the bench's subscription. No auth, GraphQL or
 * protocol. Run as a child process by bench/live-fanout.ts; prints `{"port": n}` once listening.
 *
 * With `per-connection` K (default 1), each client stands for a graphql-ws connection holding K
 * subscriptions: every event goes to it as K frames, one per subscription id (each serialized
 * once per event, as our fan-out serializes once per group), so both servers write one message
 * per subscriber over the same number of sockets.
 *
 *   node --import tsx bench/support/ws-broadcast-server.ts <redis-url> <channel> [per-connection]
 */
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { announcePort } from './baseline-server.js';

const [redisUrl, channel, perConnectionArg = '1'] = process.argv.slice(2);
if (!redisUrl || !channel) {
  throw new Error('usage: ws-broadcast-server.ts <redis-url> <channel> [per-connection]');
}
const perConnection = Number(perConnectionArg);
if (!Number.isInteger(perConnection) || perConnection < 1) {
  throw new Error(`per-connection is a positive integer, not ${perConnectionArg}`);
}
/** One UUID-sized subscription id per frame, as graphql-ws's client makes. */
const ids = Array.from(
  { length: perConnection },
  (_, k) => `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`,
);

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const listening = new Promise<void>((resolve) => server.once('listening', () => resolve()));
const subscriber = new Redis(redisUrl);
await subscriber.subscribe(channel);

/** What our server sends for the same point: graphql-ws's `next` with the selection's data. */
function frameOf(point: TelemetryPoint, id: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      id,
      type: 'next',
      payload: {
        data: {
          telemetry: {
            deviceId: point.deviceId,
            ts: new Date(point.ts).toISOString(),
            metrics: Object.entries(point.metrics).map(([metric, value]) => ({ metric, value })),
          },
        },
      },
    }),
  );
}

subscriber.on('message', (_channel: string, message: string) => {
  const point = JSON.parse(message) as TelemetryPoint;
  const frames = ids.map((id) => frameOf(point, id));
  for (const client of server.clients) for (const frame of frames) client.send(frame);
});

await listening;
const address = server.address();
announcePort(typeof address === 'object' && address ? address.port : 0);

process.once('SIGTERM', () => {
  for (const client of server.clients) client.terminate();
  server.close();
  subscriber.disconnect();
});
