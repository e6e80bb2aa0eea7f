import { z } from 'zod';
import type { TelemetryPoint } from '../../domain/telemetry.js';

/**
 * Wire format of one Kafka message: the points of ONE device from one publish call, as JSON.
 * One message per device (not per point) because a record costs the same framing, CRC, header
 * parsing and consumer bookkeeping whatever its size: ingest's batches of ~100 points become a
 * handful of records. Keying by device keeps each device's points in one partition, in order.
 * Organization and device are written once per message, not per point.
 */
const messageSchema = z.object({
  v: z.literal(1),
  orgId: z.string().min(1),
  deviceId: z.string().min(1),
  /** When ingest received the newest of the points (epoch ms); absent from older producers. */
  receivedAt: z.number().int().optional(),
  points: z.array(
    z.object({
      ts: z.number().int(),
      metrics: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
    }),
  ),
});

export type TelemetryMessage = z.infer<typeof messageSchema>;

/**
 * Kafka's default max.message.bytes (~1 MB) limits a whole record BATCH, and kafkajs puts all of
 * one send()'s messages for a partition into one batch: both a message and a send stay under it.
 */
export const MAX_MESSAGE_BYTES = 900_000;

export class UndecodableMessageError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UndecodableMessageError';
  }
}

export interface EncodedMessage {
  key: string;
  value: Buffer;
  /** The publisher's trace context (kafka-trace-headers.ts), when tracing is on. */
  headers?: Record<string, string>;
}

function encodeDevice(points: TelemetryPoint[], maxBytes: number): EncodedMessage[] {
  const { orgId, deviceId } = points[0]!;
  // One receipt time per message, the newest: all that lastSeenAt needs of it.
  let receivedAt: number | undefined;
  for (const point of points) {
    if (point.receivedAt !== undefined) receivedAt = Math.max(receivedAt ?? 0, point.receivedAt);
  }
  const body: TelemetryMessage = {
    v: 1,
    orgId,
    deviceId,
    ...(receivedAt === undefined ? {} : { receivedAt }),
    points: points.map(({ ts, metrics }) => ({ ts, metrics })),
  };
  const value = Buffer.from(JSON.stringify(body));
  if (value.length <= maxBytes || points.length === 1) return [{ key: deviceId, value }];
  // Too big for one record: halve, keeping order (the halves go to the same partition in turn).
  const middle = Math.ceil(points.length / 2);
  return [
    ...encodeDevice(points.slice(0, middle), maxBytes),
    ...encodeDevice(points.slice(middle), maxBytes),
  ];
}

/** Groups points by (organization, device), keeping each device's order, one message per group. */
export function encodePoints(
  points: readonly TelemetryPoint[],
  maxBytes = MAX_MESSAGE_BYTES,
): EncodedMessage[] {
  const groups = new Map<string, TelemetryPoint[]>();
  for (const point of points) {
    const key = `${point.orgId}\u0000${point.deviceId}`;
    const group = groups.get(key);
    if (group) group.push(point);
    else groups.set(key, [point]);
  }
  return [...groups.values()].flatMap((group) => encodeDevice(group, maxBytes));
}

/** What a message weighs in a record batch: key, value and headers. */
export function encodedSize({ key, value, headers }: EncodedMessage): number {
  let bytes = key.length + value.length;
  if (headers) for (const name in headers) bytes += name.length + headers[name]!.length;
  return bytes;
}

/** Splits messages, in order, into groups of at most `maxBytes` each: one send() each. */
export function chunkBySize(messages: EncodedMessage[], maxBytes = MAX_MESSAGE_BYTES) {
  const chunks: EncodedMessage[][] = [];
  let current: EncodedMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = encodedSize(message);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The message's points, or UndecodableMessageError saying why it can never be decoded. */
export function decodeMessage(value: Buffer | null): TelemetryPoint[] {
  if (!value) throw new UndecodableMessageError('empty message value');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new UndecodableMessageError(`invalid JSON: ${(error as Error).message}`);
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) {
    throw new UndecodableMessageError(
      `invalid telemetry message: ${z.prettifyError(parsed.error)}`,
    );
  }
  const { orgId, deviceId, receivedAt, points } = parsed.data;
  return points.map(({ ts, metrics }) =>
    receivedAt === undefined
      ? { orgId, deviceId, ts, metrics }
      : { orgId, deviceId, ts, metrics, receivedAt },
  );
}
