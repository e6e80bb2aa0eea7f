import type { ExecutionResult } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';

/**
 * How many bytes a member's socket may have waiting unsent before it skips events. A slow or
 * stalled dashboard then loses points (as a per-subscriber sliding buffer did) instead of growing
 * the server's memory, and never delays the other members: the bound is checked before each
 * write, which itself never waits. A dead peer is terminated by graphql-ws's keep-alive ping.
 */
export const MAX_BUFFERED_BYTES_PER_MEMBER = 256 * 1024;

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

interface Member {
  /** `{"id":"<id>","type":"next","payload":` — graphql-ws's `next` message up to the payload. */
  prefix: string;
  socket: FanoutSocket;
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
 * straight to every member's socket. graphql-ws keeps everything else (the protocol, errors,
 * `complete`, closing): each member hands it a stream that yields nothing itself and ends when the
 * member leaves (the client's `complete`, its socket closing, a credential expiring) or when the
 * source ends (complete, or error with the source's error). The source is closed when the last
 * member leaves.
 */
export function createLiveFanout(options: { maxBufferedBytes?: number } = {}) {
  const maxBufferedBytes = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES_PER_MEMBER;
  const groups = new Map<string, Group>();

  function deliver(member: Member, payload: string) {
    const { socket } = member;
    // A closing socket is graphql-ws's to end; a slow one skips this event.
    if (socket.readyState !== socket.OPEN || socket.bufferedAmount > maxBufferedBytes) return;
    try {
      socket.send(`${member.prefix}${payload}}`);
    } catch (error) {
      // Only this member is affected: the others are written to all the same.
      member.end({ error });
    }
  }

  function createGroup(key: string, source: AsyncIterable<ExecutionResult>) {
    const iterator = source[Symbol.asyncIterator]();
    const members = new Set<Member>();
    let ended = false;
    // Newcomers start a new group from then on.
    const unlist = () => {
      if (groups.get(key) === group) groups.delete(key);
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
    async function pump() {
      let failure: { error: unknown } | undefined;
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done || ended) break;
          const payload = serializePayload(next.value);
          for (const member of members) deliver(member, payload);
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
      end(failure) {
        if (!active) return;
        active = false;
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
