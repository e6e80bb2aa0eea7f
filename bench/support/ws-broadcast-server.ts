/**
 * The live fan-out baseline (docs/architecture.md, "Performance goals"): a bare `ws` server that
 * takes each event from a Redis channel (as our api process takes points from the Redis live hub)
 * and broadcasts one JSON message, serialized once, to every connected client. The message has the
 * shape and size of our graphql-ws `next` frame for the bench's subscription. No auth, GraphQL or
 * protocol. Run as a child process by bench/live-fanout.ts; prints `{"port": n}` once listening.
 *
 *   node --import tsx bench/support/ws-broadcast-server.ts <redis-url> <channel>
 */
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import type { TelemetryPoint } from '../../src/domain/telemetry.js';
import { announcePort } from './baseline-server.js';

const [redisUrl, channel] = process.argv.slice(2);
if (!redisUrl || !channel) throw new Error('usage: ws-broadcast-server.ts <redis-url> <channel>');

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const listening = new Promise<void>((resolve) => server.once('listening', () => resolve()));
const subscriber = new Redis(redisUrl);
await subscriber.subscribe(channel);

/** What our server sends for the same point: graphql-ws's `next` with the selection's data. */
function frameOf(point: TelemetryPoint): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: '00000000-0000-4000-8000-000000000000',
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
  const frame = frameOf(JSON.parse(message) as TelemetryPoint);
  for (const client of server.clients) client.send(frame);
});

await listening;
const address = server.address();
announcePort(typeof address === 'object' && address ? address.port : 0);

process.once('SIGTERM', () => {
  for (const client of server.clients) client.terminate();
  server.close();
  subscriber.disconnect();
});
