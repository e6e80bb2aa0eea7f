/**
 * MQTT devices for bench/mqtt-connections.ts, in a process of their own (spawned through a
 * `ulimit -n` wrapper, driven over IPC) so that the servers' CPU is what the bench measures.
 * Each connection is a bare socket bound to this process's 127.0.0.x source address with
 * mqtt-packet's parser and generator (lighter than the `mqtt` client at tens of thousands of
 * connections): MQTT 5, clean session, the device's token as the password, so a refused
 * publish shows in its PUBACK's reason code.
 *
 * `connect` opens a slice of the devices, `window` at a time; `load` publishes one point at a
 * time at QoS 1, round-robin over the held connections at `perSecond`, and times each from the
 * write to its PUBACK; `disconnect` says goodbye and closes all.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqttPacket, { type Packet } from 'mqtt-packet';

export const TELEMETRY_TOPIC = 'v1/devices/me/telemetry';

export type GeneratorCommand =
  | {
      type: 'connect';
      host: string;
      port: number;
      /** The source address every socket of this process binds to. */
      localAddress: string;
      tokens: string[];
      /** Client ids are `bench-<clientIdBase + index>`: unique over all processes. */
      clientIdBase: number;
      /** Connections being opened at once. */
      window: number;
      keepaliveSeconds: number;
      /** From the socket's creation to its CONNACK. */
      timeoutMs: number;
      /** Stop opening after this many failures in a row: the server is full or refusing. */
      giveUpAfter: number;
    }
  | { type: 'load'; perSecond: number; seconds: number; drainMs: number }
  | { type: 'disconnect' };

export type GeneratorReport =
  | { type: 'ready'; openFilesLimit: number }
  | {
      type: 'connected';
      held: number;
      /** Why connections were not held, by reason. */
      failures: Record<string, number>;
      /** Epoch ms: the first socket opened, the last CONNACK (or failure). */
      firstAt: number;
      lastAt: number;
      gaveUp: boolean;
    }
  | {
      type: 'loaded';
      sent: number;
      acked: number;
      /** PUBACKs with a reason code of 0x80 or more. */
      refused: number;
      unacked: number;
      /** Per acknowledged publish: ms from the load's start to the write, and write to PUBACK. */
      sentAt: number[];
      latencies: number[];
      /** Held connections that closed during the load, by reason. */
      dropped: Record<string, number>;
      /** This process's event-loop delay during the load (p99, ms): its own share of latency. */
      loopDelayP99: number;
    }
  | { type: 'disconnected' }
  | { type: 'error'; message: string };

interface Connection {
  socket: net.Socket;
  nextId: number;
  /** messageId → performance.now() at the write. */
  pending: Map<number, number>;
  lastSentAt: number;
  held: boolean;
}

const PROTOCOL = { protocolVersion: 5 } as const;
const PINGREQ = mqttPacket.generate({ cmd: 'pingreq' }, PROTOCOL);
const DISCONNECT = mqttPacket.generate({ cmd: 'disconnect', reasonCode: 0 }, PROTOCOL);

let connections: Connection[] = [];
let closing = false;
let dropped: Record<string, number> = {};
let onPuback: ((connection: Connection, sentAt: number, reasonCode: number) => void) | undefined;
let keepAliveSweep: NodeJS.Timeout | undefined;

function report(message: GeneratorReport) {
  if (process.connected) process.send!(message);
}

const count = (tally: Record<string, number>, reason: string) => {
  tally[reason] = (tally[reason] ?? 0) + 1;
};

/** Opens one device's connection; resolves with null once held, else why not. */
function open(
  command: Extract<GeneratorCommand, { type: 'connect' }>,
  index: number,
): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({
      host: command.host,
      port: command.port,
      localAddress: command.localAddress,
    });
    socket.setNoDelay(true);
    const connection: Connection = {
      socket,
      nextId: 1,
      pending: new Map(),
      lastSentAt: performance.now(),
      held: false,
    };
    const parser = mqttPacket.parser(PROTOCOL);
    let settled = false;
    let disconnectReason: string | undefined;
    const settle = (failure: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure !== null) socket.destroy();
      resolve(failure);
    };
    const timer = setTimeout(() => settle('no CONNACK in time'), command.timeoutMs);
    socket.on('connect', () => {
      socket.write(
        mqttPacket.generate(
          {
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 5,
            clientId: `bench-${command.clientIdBase + index}`,
            clean: true,
            keepalive: command.keepaliveSeconds,
            username: 'device',
            password: Buffer.from(command.tokens[index]!),
          },
          PROTOCOL,
        ),
      );
    });
    parser.on('packet', (packet: Packet) => {
      switch (packet.cmd) {
        case 'connack': {
          const code = packet.reasonCode ?? packet.returnCode ?? 0;
          if (code !== 0) return settle(`CONNACK 0x${code.toString(16)}`);
          connection.held = true;
          connections.push(connection);
          return settle(null);
        }
        case 'puback': {
          const sentAt = connection.pending.get(packet.messageId!);
          if (sentAt === undefined) return;
          connection.pending.delete(packet.messageId!);
          onPuback?.(connection, sentAt, packet.reasonCode ?? 0);
          return;
        }
        case 'disconnect':
          disconnectReason = `DISCONNECT 0x${(packet.reasonCode ?? 0).toString(16)}`;
          return;
        default:
          return;
      }
    });
    parser.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    let socketError: string | undefined;
    socket.on(
      'error',
      (error: NodeJS.ErrnoException) => (socketError = error.code ?? error.message),
    );
    socket.on('close', () => {
      const reason = disconnectReason ?? socketError ?? 'closed by the server';
      if (!settled) return settle(`${reason} before CONNACK`);
      if (connection.held && !closing) count(dropped, reason);
      connection.held = false;
    });
  });
}

async function connectAll(command: Extract<GeneratorCommand, { type: 'connect' }>) {
  connections = [];
  closing = false;
  dropped = {};
  const failures: Record<string, number> = {};
  const firstAt = Date.now();
  let next = 0;
  let failedInARow = 0;
  let gaveUp = false;
  async function worker() {
    while (next < command.tokens.length && !gaveUp) {
      const failure = await open(command, next++);
      if (failure === null) {
        failedInARow = 0;
        continue;
      }
      count(failures, failure);
      if (++failedInARow >= command.giveUpAfter) gaveUp = true;
    }
  }
  await Promise.all(Array.from({ length: command.window }, worker));
  const lastAt = Date.now();
  // A server closes idle connections after 1.5 keep-alive periods: ping those that sent nothing
  // for half of one.
  keepAliveSweep = setInterval(() => {
    const idleSince = performance.now() - (command.keepaliveSeconds * 1000) / 2;
    for (const connection of connections) {
      if (!connection.held || connection.lastSentAt > idleSince) continue;
      connection.socket.write(PINGREQ);
      connection.lastSentAt = performance.now();
    }
  }, 5_000);
  report({
    type: 'connected',
    held: connections.filter((connection) => connection.held).length,
    failures,
    firstAt,
    lastAt,
    gaveUp,
  });
}

async function load(command: Extract<GeneratorCommand, { type: 'load' }>) {
  const held = connections.filter((connection) => connection.held);
  dropped = {};
  const sentAt: number[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let acked = 0;
  let refused = 0;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  onPuback = (_connection, at, reasonCode) => {
    acked++;
    if (reasonCode >= 0x80) refused++;
    sentAt.push(at - started);
    latencies.push(performance.now() - at);
  };
  let cursor = 0;
  const payload = (ts: number) => `{"ts":${ts},"metrics":{"temperature":21.5}}`;
  function publishOne() {
    // Skips connections the server closed; with none left the load sends nothing.
    for (let tries = 0; tries < held.length; tries++) {
      const connection = held[cursor++ % held.length]!;
      if (!connection.held) continue;
      const messageId = connection.nextId;
      connection.nextId = messageId === 65_535 ? 1 : messageId + 1;
      const packet = mqttPacket.generate(
        {
          cmd: 'publish',
          topic: TELEMETRY_TOPIC,
          payload: payload(Date.now()),
          qos: 1,
          messageId,
          retain: false,
          dup: false,
        },
        PROTOCOL,
      );
      connection.lastSentAt = performance.now();
      connection.pending.set(messageId, connection.lastSentAt);
      connection.socket.write(packet);
      sent++;
      return;
    }
  }
  // Sends what the elapsed time owes, so a late timer catches up instead of lowering the rate.
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = Math.min(performance.now() - started, command.seconds * 1000);
      const owed = Math.floor((elapsed / 1000) * command.perSecond);
      while (sent < owed) publishOne();
      if (elapsed >= command.seconds * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 10);
  });
  const drainUntil = performance.now() + command.drainMs;
  const outstanding = () => held.reduce((sum, c) => sum + (c.held ? c.pending.size : 0), 0);
  while (outstanding() > 0 && performance.now() < drainUntil) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  delay.disable();
  onPuback = undefined;
  report({
    type: 'loaded',
    sent,
    acked,
    refused,
    unacked: sent - acked,
    sentAt,
    latencies,
    dropped,
    loopDelayP99: delay.percentile(99) / 1e6,
  });
  for (const connection of held) connection.pending.clear();
}

async function disconnectAll() {
  closing = true;
  clearInterval(keepAliveSweep);
  await Promise.all(
    connections.map(
      (connection) =>
        new Promise<void>((resolve) => {
          const { socket } = connection;
          if (socket.destroyed) return resolve();
          const timer = setTimeout(() => socket.destroy(), 2_000);
          socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          socket.end(DISCONNECT);
        }),
    ),
  );
  connections = [];
  report({ type: 'disconnected' });
}

function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('Max open files'));
  return Number(line?.split(/\s{2,}/)[1]);
}

process.on('message', (command: GeneratorCommand) => {
  const run =
    command.type === 'connect'
      ? connectAll(command)
      : command.type === 'load'
        ? load(command)
        : disconnectAll();
  run.catch((error: unknown) =>
    report({ type: 'error', message: error instanceof Error ? error.stack! : String(error) }),
  );
});
// Ends with the bench, whatever happened to it.
process.on('disconnect', () => process.exit(0));
report({ type: 'ready', openFilesLimit: openFilesLimit() });
