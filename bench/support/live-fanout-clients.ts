/**
 * WebSocket clients for bench/live-fanout.ts, in a process of their own (forked, driven over IPC)
 * so that the server's CPU is what the bench measures. A process holds any number of sockets,
 * to either target: `bare` sockets just listen; `graphql-ws` sockets do connection_init and
 * subscribe like a dashboard.
 *
 * Receiving is kept as cheap as possible while an event is in flight: each socket records only
 * the arrival time and the raw frame of the first message after `expect`; the frames are parsed
 * and checked once every socket of the target has one, then the times go to the parent.
 */
import WebSocket from 'ws';

export type ClientCommand =
  | {
      type: 'open';
      target: string;
      url: string;
      count: number;
      /** graphql-ws: the token for connection_init and the subscribe payload; bare: absent. */
      graphqlWs?: { token: string; query: string; variables: Record<string, unknown> };
    }
  /** Record the next message of every socket; `seq` null accepts any event (warm-up). */
  | { type: 'expect'; target: string; seq: number | null }
  | { type: 'close' };

export type ClientReport =
  | { type: 'opened'; target: string }
  /** Arrival times (epoch ms, sub-millisecond) of the expected event, one per socket. */
  | { type: 'arrived'; target: string; seq: number | null; times: number[] }
  | { type: 'error'; message: string };

const OPEN_CONCURRENCY = 100;
const now = () => performance.timeOrigin + performance.now();

interface Target {
  sockets: WebSocket[];
  expecting?: {
    seq: number | null;
    /** The bytes only the expected event's frame holds: a late warm-up event is not it. */
    marker?: Buffer;
    times: number[];
    frames: Buffer[];
    count: number;
  };
}
const targets = new Map<string, Target>();

function report(message: ClientReport) {
  if (process.connected) process.send!(message);
}

/** The event's seq from a frame: a bare broadcast or a graphql-ws `next` carry the same shape. */
function seqOf(frame: Buffer): number | undefined {
  const message = JSON.parse(frame.toString()) as {
    type?: string;
    payload?: { data?: { telemetry?: { metrics?: { metric: string; value: unknown }[] } } };
  };
  if (message.type !== 'next') return undefined;
  const value = message.payload?.data?.telemetry?.metrics?.find((m) => m.metric === 'seq')?.value;
  return typeof value === 'number' ? value : undefined;
}

function onFrame(name: string, target: Target, index: number, frame: Buffer) {
  const at = now();
  const expecting = target.expecting;
  if (!expecting || expecting.frames[index] !== undefined) return;
  if (expecting.marker && !frame.includes(expecting.marker)) return;
  expecting.times[index] = at;
  expecting.frames[index] = frame;
  if (++expecting.count < target.sockets.length) return;
  target.expecting = undefined;
  for (const received of expecting.frames) {
    const seq = seqOf(received);
    if (seq === undefined || (expecting.seq !== null && seq !== expecting.seq)) {
      report({
        type: 'error',
        message: `${name}: expected event ${expecting.seq}, got ${received.toString()}`,
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
  const socket = new WebSocket(command.url, command.graphqlWs ? 'graphql-transport-ws' : []);
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
  // An id like graphql-ws's own client makes (a UUID), so frames have their real size.
  socket.send(
    JSON.stringify({
      id: crypto.randomUUID(),
      type: 'subscribe',
      payload: { query: graphqlWs.query, variables: graphqlWs.variables },
    }),
  );
}

async function open(command: Extract<ClientCommand, { type: 'open' }>) {
  const target: Target = { sockets: [] };
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
      target.expecting = {
        seq: command.seq,
        marker:
          command.seq === null ? undefined : Buffer.from(`{"metric":"seq","value":${command.seq}}`),
        times: [],
        frames: [],
        count: 0,
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
