import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import { encodePoints, type TelemetryMessage } from './kafka-codec.js';

const write = promisify(fs.write);
const fdatasync = promisify(fs.fdatasync);
const ftruncate = promisify(fs.ftruncate);

export interface FileWalOptions {
  path: string;
  /** Above this size, the log is rewritten to hold only what `unconsumed()` returns. */
  maxBytes?: number;
  /** Every point not yet consumed: what a compacted log must still hold. */
  unconsumed: () => readonly TelemetryPoint[];
  /** A failed reset or compaction loses nothing (the log just stays longer); it is reported here. */
  onError?: (error: unknown, action: 'reset' | 'compact') => void;
}

export interface FileWal {
  /** Batches found on open (a torn last line, never acknowledged, is dropped), oldest first. */
  replayed: TelemetryPoint[][];
  /** Resolves once the batch is on disk (fdatasync); concurrent appends share one sync. */
  append(points: readonly TelemetryPoint[]): Promise<void>;
  /** Empties the log once everything appended so far has been consumed. */
  reset(): void;
  close(): Promise<void>;
}

type Op =
  | { kind: 'append'; bytes: Buffer; resolve: () => void; reject: (error: unknown) => void }
  | { kind: 'reset' };

/**
 * A line of the log: one published batch as a JSON array of telemetry messages, Kafka's own
 * (kafka-codec.ts: each device's points with its organization and device written once, the
 * newest receipt time kept). Writing every point whole repeated two UUIDs per point, and
 * stringifying them took ~9% of the embedded app's CPU (`bench/embedded.ts --profile`); this is
 * a third of the bytes. Each device's points keep their order.
 */
function encodeLine(points: readonly TelemetryPoint[]): Buffer {
  const parts: Buffer[] = [OPEN];
  for (const [i, { value }] of encodePoints(points, Infinity).entries()) {
    if (i > 0) parts.push(COMMA);
    parts.push(value);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']\n');

/**
 * A line's points, unchecked: the pipeline's admission checks every point, and a check here
 * that threw would end the replay at that line and truncate the log after it. Logs written
 * before the messages (up to stop 26) hold the points themselves, one array per line, and are
 * replayed as they are after an upgrade.
 */
function decodeLine(text: string): TelemetryPoint[] {
  const items = JSON.parse(text) as (TelemetryPoint | TelemetryMessage)[];
  return items.flatMap((item) => {
    if (!('points' in item)) return [item];
    const { orgId, deviceId, receivedAt, points } = item;
    const received = receivedAt === undefined ? {} : { receivedAt };
    return points.map(({ ts, metrics }) => ({ orgId, deviceId, ts, metrics, ...received }));
  });
}

/**
 * A write-ahead log of NDJSON lines (one published batch per line) with group commit. Written by
 * hand: it is ~100 lines, and no maintained npm package offers an fsync'ed append log with group
 * commit. Operations run one at a time in order, so a reset never drops an append queued after it.
 */
export function openFileWal(options: FileWalOptions): FileWal {
  const { maxBytes = 64 * 1024 * 1024 } = options;
  const replayed = readValidPrefix(options.path);
  const fd = fs.openSync(options.path, 'a');
  // Cut a torn tail off, or the next line would be glued to it and both lost on replay.
  fs.ftruncateSync(fd, replayed.bytes);
  fs.fsyncSync(fd);
  syncDirectory(options.path);
  let size = replayed.bytes;
  // Compact again only once the log doubled: a backlog bigger than maxBytes must not be rewritten
  // after every append.
  let compactAbove = Math.max(maxBytes, 2 * size);
  let current = fd;
  const ops: Op[] = [];
  let draining: Promise<void> | undefined;

  async function writeAll(target: number, bytes: Buffer) {
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await write(target, bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
  }

  async function compact() {
    // Everything before this point in `ops` was already consumed or is in `unconsumed()`.
    const tmp = `${options.path}.tmp`;
    const next = fs.openSync(tmp, 'w');
    const points = options.unconsumed();
    for (let i = 0; i < points.length; i += 10_000) {
      await writeAll(next, encodeLine(points.slice(i, i + 10_000)));
    }
    await fdatasync(next);
    fs.closeSync(next);
    fs.renameSync(tmp, options.path);
    syncDirectory(options.path);
    fs.closeSync(current);
    current = fs.openSync(options.path, 'a');
    size = fs.fstatSync(current).size;
    compactAbove = Math.max(maxBytes, 2 * size);
  }

  async function attempt(action: 'reset' | 'compact', run: () => Promise<void>) {
    try {
      await run();
    } catch (error) {
      options.onError?.(error, action);
    }
  }

  async function drain() {
    while (ops.length > 0) {
      if (ops[0]!.kind === 'reset') {
        ops.shift();
        await attempt('reset', async () => {
          if (size > 0) await ftruncate(current, 0);
          size = 0;
          compactAbove = maxBytes;
        });
        continue;
      }
      const group: Extract<Op, { kind: 'append' }>[] = [];
      while (ops[0]?.kind === 'append') group.push(ops.shift() as (typeof group)[number]);
      try {
        const bytes = Buffer.concat(group.map((op) => op.bytes));
        await writeAll(current, bytes);
        await fdatasync(current);
        size += bytes.length;
        for (const op of group) op.resolve();
      } catch (error) {
        for (const op of group) op.reject(error);
      }
      if (size > compactAbove) await attempt('compact', compact);
    }
    draining = undefined;
  }

  const kick = () => (draining ??= drain());

  return {
    replayed: replayed.batches,
    append(points) {
      return new Promise<void>((resolve, reject) => {
        ops.push({
          kind: 'append',
          bytes: encodeLine(points),
          resolve,
          reject,
        });
        void kick();
      });
    },
    reset() {
      if (ops.at(-1)?.kind === 'reset') return;
      ops.push({ kind: 'reset' });
      void kick();
    },
    async close() {
      await draining;
      fs.closeSync(current);
    },
  };
}

function readValidPrefix(file: string): { batches: TelemetryPoint[][]; bytes: number } {
  let text: Buffer;
  try {
    text = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { batches: [], bytes: 0 };
    throw error;
  }
  const batches: TelemetryPoint[][] = [];
  let start = 0;
  for (let end = text.indexOf(10); end !== -1; end = text.indexOf(10, start)) {
    try {
      batches.push(decodeLine(text.subarray(start, end).toString('utf8')));
    } catch {
      break; // Only the last write can be torn; stop at the first line that does not parse.
    }
    start = end + 1;
  }
  return { batches, bytes: start };
}

/** A new or renamed file survives power loss only once its directory entry is synced. */
function syncDirectory(file: string) {
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}
