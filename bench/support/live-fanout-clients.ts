/**
 * WebSocket clients for bench/live-fanout.ts, in a process of their own (forked, driven over IPC)
 * so that the server's CPU is what the bench measures. A process holds any number of sockets,
 * to either target: `bare` sockets just listen; `graphql-ws` sockets do connection_init and
 * subscribe like a dashboard, `perConnection` times (distinct ids) on each socket.
 *
 * A target is expected to deliver `perConnection` messages per socket and event: one per
 * subscription (graphql-ws) or the bare broadcast's `perConnection` frames. Each subscriber is one
 * (socket, message) slot. Sockets bind their source address in turn from `localAddresses`
 * (127.0.0.x), so that 50,000+ connections to one server port are not bounded by one source
 * address's ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range).
 *
 * Receiving is kept as cheap as possible while an event is in flight: each socket records only
 * the arrival times and raw frames of its first `perConnection` messages carrying the event; the
 * frames are parsed and checked (the event's seq, and one frame per subscription id) once every
 * socket of the target has them all, then the times go to the parent.
 */
import WebSocket from 'ws';

export type ClientCommand =
  | {
      type: 'open';
      target: string;
      url: string;
      count: number;
      /** Messages per socket and event: graphql-ws subscriptions per socket, or bare frames. */
      perConnection: number;
      /** Source addresses the sockets bind in turn; empty: the kernel's choice. */
      localAddresses: string[];
      /** graphql-ws: the token for connection_init and the subscribe payload; bare: absent. */
      graphqlWs?: { token: string; query: string; variables: Record<string, unknown> };
    }
  /** Record the next event of every subscriber; `seq` null accepts any event (warm-up). */
  | { type: 'expect'; target: string; seq: number | null }
  | { type: 'close' };

export type ClientReport =
  | { type: 'opened'; target: string }
  /** Arrival times (epoch ms, sub-millisecond) of the expected event, one per subscriber. */
  | { type: 'arrived'; target: string; seq: number | null; times: number[] }
  | { type: 'error'; message: string };

const OPEN_CONCURRENCY = 100;
const now = () => performance.timeOrigin + performance.now();

interface Target {
  sockets: WebSocket[];
  perConnection: number;
  expecting?: {
    seq: number | null;
    /** The bytes only the expected event's frame holds: a late warm-up event is not it. */
    marker?: Buffer;
    /** Socket i's messages are at i × perConnection + 0 … perConnection - 1. */
    times: number[];
    frames: Buffer[];
    /** Messages recorded per socket. */
    received: Uint32Array;
    /** Warm-up only: the subscription ids each socket has heard from. */
    ids?: Set<string>[];
    /** Sockets with all their messages. */
    complete: number;
  };
}
const targets = new Map<string, Target>();

function report(message: ClientReport) {
  if (process.connected) process.send!(message);
}

/** A bare broadcast or a graphql-ws `next` carry the same shape: the event's seq and an id. */
function parse(frame: Buffer): { id?: string; seq?: number } {
  const message = JSON.parse(frame.toString()) as {
    id?: string;
    type?: string;
    payload?: { data?: { telemetry?: { metrics?: { metric: string; value: unknown }[] } } };
  };
  if (message.type !== 'next') return {};
  const value = message.payload?.data?.telemetry?.metrics?.find((m) => m.metric === 'seq')?.value;
  return { id: message.id, seq: typeof value === 'number' ? value : undefined };
}

function onFrame(name: string, target: Target, index: number, frame: Buffer) {
  const at = now();
  const expecting = target.expecting;
  const k = target.perConnection;
  if (!expecting || expecting.received[index]! >= k) return;
  if (expecting.marker && !frame.includes(expecting.marker)) return;
  if (expecting.ids) {
    // Warm-up: each subscription must have been heard from, whichever event reached it.
    const { id } = parse(frame);
    if (id === undefined || expecting.ids[index]!.has(id)) return;
    expecting.ids[index]!.add(id);
  }
  const slot = index * k + expecting.received[index]!++;
  expecting.times[slot] = at;
  expecting.frames[slot] = frame;
  if (expecting.received[index] === k) expecting.complete++;
  if (expecting.complete < target.sockets.length) return;
  target.expecting = undefined;
  for (let socket = 0; socket < target.sockets.length; socket++) {
    const ids = new Set<string | undefined>();
    for (let j = 0; j < k; j++) {
      const received = expecting.frames[socket * k + j]!;
      const { id, seq } = parse(received);
      ids.add(id);
      if (seq === undefined || (expecting.seq !== null && seq !== expecting.seq)) {
        report({
          type: 'error',
          message: `${name}: expected event ${expecting.seq}, got ${received.toString()}`,
        });
        return;
      }
    }
    if (ids.size !== k) {
      report({
        type: 'error',
        message: `${name}: socket ${socket} got event ${expecting.seq} on ${ids.size} ids, not ${k}`,
      });
      return;
    }
  }
  report({ type: 'arrived', target: name, seq: expecting.seq, times: expecting.times });
}

async function openOne(
  name: string,
  target: Target,
  command: Extract<ClientCommand, { type: 'open' }>,
) {
  const index = target.sockets.length;
  const { localAddresses } = command;
  const socket = new WebSocket(command.url, command.graphqlWs ? 'graphql-transport-ws' : [], {
    localAddress: localAddresses.length ? localAddresses[index % localAddresses.length] : undefined,
  });
  target.sockets.push(socket);
  socket.on('error', (error) => report({ type: 'error', message: `${name}: ${error.message}` }));
  socket.on('close', (code, reason) => {
    if (!closing) report({ type: 'error', message: `${name}: closed ${code} ${String(reason)}` });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const graphqlWs = command.graphqlWs;
  if (!graphqlWs) {
    socket.on('message', (frame: Buffer) => onFrame(name, target, index, frame));
    return;
  }
  await new Promise<void>((resolve) => {
    socket.once('message', () => resolve());
    socket.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { Authorization: `Bearer ${graphqlWs.token}` },
      }),
    );
  });
  socket.on('message', (frame: Buffer) => onFrame(name, target, index, frame));
  for (let j = 0; j < command.perConnection; j++) {
    // An id like graphql-ws's own client makes (a UUID), so frames have their real size.
    socket.send(
      JSON.stringify({
        id: crypto.randomUUID(),
        type: 'subscribe',
        payload: { query: graphqlWs.query, variables: graphqlWs.variables },
      }),
    );
  }
}

async function open(command: Extract<ClientCommand, { type: 'open' }>) {
  const target: Target = { sockets: [], perConnection: command.perConnection };
  targets.set(command.target, target);
  let started = 0;
  await Promise.all(
    Array.from({ length: Math.min(OPEN_CONCURRENCY, command.count) }, async () => {
      while (started < command.count) {
        started++;
        await openOne(command.target, target, command);
      }
    }),
  );
  report({ type: 'opened', target: command.target });
}

let closing = false;
process.on('message', (command: ClientCommand) => {
  switch (command.type) {
    case 'open':
      open(command).catch((error: unknown) =>
        report({ type: 'error', message: `${command.target}: ${String(error)}` }),
      );
      return;
    case 'expect': {
      const target = targets.get(command.target)!;
      const sockets = target.sockets.length;
      target.expecting = {
        seq: command.seq,
        marker:
          command.seq === null ? undefined : Buffer.from(`{"metric":"seq","value":${command.seq}}`),
        times: new Array<number>(sockets * target.perConnection),
        frames: new Array<Buffer>(sockets * target.perConnection),
        received: new Uint32Array(sockets),
        ids:
          command.seq === null
            ? Array.from({ length: sockets }, () => new Set<string>())
            : undefined,
        complete: 0,
      };
      return;
    }
    case 'close':
      closing = true;
      for (const target of targets.values()) for (const socket of target.sockets) socket.close();
      process.disconnect();
      return;
  }
});
