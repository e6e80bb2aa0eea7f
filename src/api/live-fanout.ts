import type { ExecutionResult } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import { liveFanoutGroups, liveUpdatesDropped } from '../metrics/live-metrics.js';

/**
 * How many bytes a member's socket may have waiting unsent before the fan-out stops writing to it
 * and queues instead. The bound is checked before each write, which itself never waits, so a slow
 * or stalled dashboard never delays the other members. A dead peer is terminated by graphql-ws's
 * keep-alive ping.
 */
export const MAX_BUFFERED_BYTES_PER_MEMBER = 256 * 1024;
/**
 * How many bytes of updates a member's queue holds while its socket is full (payload text; the
 * strings are shared by the group, so this is mostly references). Past it the oldest are dropped,
 * and the member's next message says how many (`extensions.dropped`).
 */
export const MAX_QUEUED_BYTES_PER_MEMBER = 64 * 1024;
/** How long one group may execute a burst of events before it lets the event loop turn. */
const YIELD_EVERY_MS = 5;
/** How often queued members are offered their socket again (ws has no per-message drain). */
const FLUSH_EVERY_MS = 20;

/** The part of a `ws` socket the fan-out writes to. */
export interface FanoutSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: string): void;
}

export interface FanoutMember {
  socket: FanoutSocket;
  /** The graphql-ws subscription id the client chose. */
  id: string;
}

type OperationResult = ExecutionResult | AsyncIterable<ExecutionResult>;

interface Group {
  members: Set<Member>;
  /** The last member left: the source is closed (its live hub listeners go with it). */
  release(): void;
}

/** One event of a group: the result, and its `next` payload serialized once for every member. */
interface Update {
  result: ExecutionResult;
  payload: string;
}

interface Member {
  /** `{"id":"<id>","type":"next","payload":` — graphql-ws's `next` message up to the payload. */
  prefix: string;
  socket: FanoutSocket;
  /** Updates waiting for the socket to drain, oldest first. */
  queue: Update[];
  queuedBytes: number;
  /** Updates dropped since the last one written: told in the next one's `extensions.dropped`. */
  dropped: number;
  /** Leaves the group; the member's stream completes, or fails with `failure.error`. */
  end(failure?: { error: unknown }): void;
}

/** The `next` payload as graphql-ws writes it (errors last, as their JSON form), serialized. */
function serializePayload(result: ExecutionResult): string {
  const { errors, ...rest } = result;
  return JSON.stringify(errors ? { ...rest, errors: errors.map((error) => error.toJSON()) } : rest);
}

/** Ends an iteration without waiting; a failure to close has no one left to report to. */
function closeQuietly(iterator: AsyncIterator<ExecutionResult>) {
  void Promise.resolve(iterator.return?.()).catch(() => undefined);
}

/**
 * Live fan-out by group (docs/architecture.md, "Live fan-out by group"; bench/live-fanout.ts):
 * subscribers with the same group key (src/api/live-fanout-key.ts) share one subscription. Its
 * first member's subscribe creates the source; each event is executed once by it, its `next`
 * payload is serialized once, and the same string, with only the message id spliced in, is written
 * straight to every member's socket. A member whose socket is full (a slow or stalled client) gets
 * a bounded queue instead: the oldest updates are dropped past it, and the next one written says
 * how many in `extensions.dropped`, so memory stays bounded, nothing is lost silently, and the
 * other members are written to on time. graphql-ws keeps everything else (the protocol, errors,
 * `complete`, closing): each member hands it a stream that yields nothing itself and ends when the
 * member leaves (the client's `complete`, its socket closing, a credential expiring) or when the
 * source ends (complete, or error with the source's error). The source is closed when the last
 * member leaves.
 */
export function createLiveFanout(
  options: { maxBufferedBytes?: number; maxQueuedBytes?: number } = {},
) {
  const maxBufferedBytes = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES_PER_MEMBER;
  const maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES_PER_MEMBER;
  const groups = new Map<string, Group>();

  /** Members with a queue, offered their socket again every FLUSH_EVERY_MS while any is left. */
  const backlogged = new Set<Member>();
  let flushTimer: NodeJS.Timeout | undefined;

  const socketFull = ({ socket }: Member) => socket.bufferedAmount > maxBufferedBytes;

  function write(member: Member, update: Update) {
    // Only a member that lost updates pays for a payload of its own.
    const payload =
      member.dropped === 0
        ? update.payload
        : serializePayload({
            ...update.result,
            extensions: { ...update.result.extensions, dropped: member.dropped },
          });
    member.dropped = 0;
    try {
      member.socket.send(`${member.prefix}${payload}}`);
    } catch (error) {
      // Only this member is affected: the others are written to all the same.
      member.end({ error });
    }
  }

  function enqueue(member: Member, update: Update) {
    member.queue.push(update);
    member.queuedBytes += update.payload.length;
    // The newest update always stays: a slow client gets the latest state when it catches up.
    while (member.queuedBytes > maxQueuedBytes && member.queue.length > 1) {
      member.queuedBytes -= member.queue.shift()!.payload.length;
      member.dropped++;
      liveUpdatesDropped.inc();
    }
    backlogged.add(member);
    flushTimer ??= setInterval(flushBacklog, FLUSH_EVERY_MS);
  }

  function flush(member: Member) {
    if (member.socket.readyState !== member.socket.OPEN) return forget(member);
    while (member.queue.length > 0 && !socketFull(member)) {
      const update = member.queue.shift()!;
      member.queuedBytes -= update.payload.length;
      write(member, update);
    }
    if (member.queue.length === 0) backlogged.delete(member);
  }

  function flushBacklog() {
    for (const member of backlogged) flush(member);
    if (backlogged.size === 0) {
      clearInterval(flushTimer);
      flushTimer = undefined;
    }
  }

  function deliver(member: Member, update: Update) {
    // A closing socket is graphql-ws's to end.
    if (member.socket.readyState !== member.socket.OPEN) return;
    if (member.queue.length === 0 && !socketFull(member)) write(member, update);
    else enqueue(member, update);
  }

  function forget(member: Member) {
    member.queue = [];
    member.queuedBytes = 0;
    backlogged.delete(member);
  }

  function createGroup(key: string, source: AsyncIterable<ExecutionResult>) {
    const iterator = source[Symbol.asyncIterator]();
    const members = new Set<Member>();
    let ended = false;
    // Newcomers start a new group from then on.
    const unlist = () => {
      if (groups.get(key) !== group) return;
      groups.delete(key);
      liveFanoutGroups.dec();
    };
    const group: Group = {
      members,
      release() {
        if (ended) return;
        ended = true;
        unlist();
        closeQuietly(iterator);
      },
    };
    groups.set(key, group);
    liveFanoutGroups.inc();
    async function pump() {
      let failure: { error: unknown } | undefined;
      try {
        let turnStarted = performance.now();
        for (;;) {
          const next = await iterator.next();
          if (next.done || ended) break;
          const update = { result: next.value, payload: serializePayload(next.value) };
          for (const member of members) deliver(member, update);
          // A burst (a pipeline batch of thousands) resolves without ever leaving the microtask
          // queue: give sockets and other groups their turn every few milliseconds.
          if (performance.now() - turnStarted > YIELD_EVERY_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            turnStarted = performance.now();
          }
        }
      } catch (error) {
        failure = { error };
      }
      ended = true;
      unlist();
      for (const member of [...members]) member.end(failure);
    }
    return { group, start: () => void pump() };
  }

  /** The stream graphql-ws iterates for one member: it only ends. */
  function join(group: Group, { socket, id }: FanoutMember): AsyncGenerator<ExecutionResult> {
    let settle!: { resolve: (done: IteratorResult<never>) => void; reject: (e: unknown) => void };
    const finished = new Promise<IteratorResult<never>>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Rejected only for a reader (graphql-ws), which may already be gone.
    finished.catch(() => undefined);
    let active = true;
    const member: Member = {
      prefix: `{"id":${JSON.stringify(id)},"type":"next","payload":`,
      socket,
      queue: [],
      queuedBytes: 0,
      dropped: 0,
      end(failure) {
        if (!active) return;
        active = false;
        forget(member);
        group.members.delete(member);
        if (group.members.size === 0) group.release();
        if (failure) settle.reject(failure.error);
        else settle.resolve({ done: true, value: undefined });
      },
    };
    group.members.add(member);
    const done = { done: true as const, value: undefined };
    const stream: AsyncGenerator<ExecutionResult> = {
      next: () => finished,
      async return() {
        member.end();
        return done;
      },
      async throw() {
        member.end();
        return done;
      },
      [Symbol.asyncIterator]: () => stream,
    };
    return stream;
  }

  return {
    /**
     * `open` is the member's own subscribe (yoga's envelop: plugins, rate limit, auth scopes,
     * the field's own checks), so every member is admitted exactly as without grouping; a
     * refusal (a plain result) is returned as is. An admitted member joins its group, if there
     * is one, and its own stream is closed before it ever runs (the source's listeners are only
     * added on the first read); otherwise that stream becomes the group's source.
     */
    async subscribe(
      key: string,
      member: FanoutMember,
      open: () => OperationResult | Promise<OperationResult>,
    ): Promise<OperationResult> {
      const result = await open();
      if (!isAsyncIterable(result)) return result;
      const existing = groups.get(key);
      if (existing) {
        closeQuietly(result[Symbol.asyncIterator]());
        return join(existing, member);
      }
      const created = createGroup(key, result);
      const stream = join(created.group, member);
      created.start();
      return stream;
    },
    /** How many groups are live (one source each), for tests. */
    get groupCount() {
      return groups.size;
    },
  };
}
