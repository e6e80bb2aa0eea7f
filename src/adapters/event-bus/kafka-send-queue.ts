import { encodedSize, type EncodedMessage } from './kafka-codec.js';

interface Pending {
  messages: EncodedMessage[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the producer: while one send() is in flight, concurrent publishes queue up and
 * leave together in the next send(), each caller resolved by that send's ack. Ingest runs many
 * requests at once; kafkajs sends each send() as its own produce request, and the idempotent
 * producer keeps one request in flight, so without this requests queue one by one behind the
 * round trip. (Hand-written: kafkajs has no linger/batching, and this is its 40 lines.)
 * Chunks enqueued by one caller stay in order, and sends never overlap, so order per device holds.
 */
export function createSendQueue(
  send: (messages: EncodedMessage[]) => Promise<void>,
  maxBytes: number,
) {
  const queue: Pending[] = [];
  let draining = false;

  async function drain() {
    draining = true;
    while (queue.length > 0) {
      let bytes = 0;
      let count = 0;
      while (count < queue.length && (count === 0 || bytes + queue[count]!.bytes <= maxBytes)) {
        bytes += queue[count]!.bytes;
        count++;
      }
      const group = queue.splice(0, count);
      try {
        await send(group.flatMap((pending) => pending.messages));
        for (const pending of group) pending.resolve();
      } catch (error) {
        for (const pending of group) pending.reject(error);
      }
    }
    draining = false;
  }

  /** Resolves when the chunk's messages are acknowledged; a chunk must fit in `maxBytes`. */
  return function enqueue(messages: EncodedMessage[]): Promise<void> {
    const bytes = messages.reduce((n, message) => n + encodedSize(message), 0);
    const acked = new Promise<void>((resolve, reject) =>
      queue.push({ messages, bytes, resolve, reject }),
    );
    if (!draining) void drain();
    return acked;
  };
}
