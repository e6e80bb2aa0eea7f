/**
 * The live fan-out's groups (src/api/live-fanout.ts) with fake sockets and sources: what each
 * member's socket receives, how often an event is serialized, who shares a source and when it
 * is closed. The same over real graphql-ws connections: live-fanout-ws.test.ts.
 */
import { GraphQLError, parse, type ExecutionResult } from 'graphql';
import { Repeater } from '@repeaterjs/repeater';
import { describe, expect, it, vi } from 'vitest';
import { createLiveFanout, type FanoutSocket } from '../../src/api/live-fanout.js';
import { liveGroupKey } from '../../src/api/live-fanout-key.js';
import { userViewer, type Viewer } from '../../src/auth/viewer.js';
import { apiKeyViewer } from '../../src/auth/api-keys.js';
import type { ApiKey, ApiKeyScope } from '../../src/ports/api-key-repository.js';

interface FakeSocket extends FanoutSocket {
  readyState: number;
  bufferedAmount: number;
  frames: string[];
}

function fakeSocket(): FakeSocket {
  const socket: FakeSocket = {
    readyState: 1,
    OPEN: 1,
    bufferedAmount: 0,
    frames: [],
    send(data) {
      socket.frames.push(data);
    },
  };
  return socket;
}

/** A subscription source the test pushes events into; records reads and whether it was closed. */
function controlledSource() {
  let push!: (result: ExecutionResult) => Promise<unknown>;
  let stop!: ((error?: unknown) => void) & Promise<unknown>;
  const state = { started: false, closed: false };
  const source = new Repeater<ExecutionResult>(async (pushEvent, stopped) => {
    state.started = true;
    push = pushEvent;
    stop = stopped;
    await stopped;
    state.closed = true;
  });
  return {
    source,
    state,
    push: (result: ExecutionResult) => push(result),
    end: () => stop(),
    fail: (error: Error) => stop(error),
  };
}

/** The data of one event, counting how often it is serialized (JSON.stringify calls toJSON). */
function event(seq: number) {
  const counted = { serializations: 0 };
  const data = {
    telemetry: { seq },
    toJSON() {
      counted.serializations++;
      return { telemetry: { seq } };
    },
  };
  return { result: { data } as ExecutionResult, counted };
}

const nexts = (socket: FakeSocket) =>
  socket.frames.map((frame) => JSON.parse(frame) as { id: string; type: string; payload: unknown });

/** Waits until the source has been read once (the group's first member started it). */
async function started(source: ReturnType<typeof controlledSource>) {
  await vi.waitFor(() => expect(source.state.started).toBe(true));
}

describe('createLiveFanout', () => {
  it('serializes each event once and writes it to every member with the member’s own id', async () => {
    const fanout = createLiveFanout();
    const first = controlledSource();
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    const joiners = sockets.map(() => controlledSource());
    await fanout.subscribe('key', { socket: sockets[0]!, id: 'a' }, () => first.source);
    await fanout.subscribe('key', { socket: sockets[1]!, id: 'b' }, () => joiners[1]!.source);
    await fanout.subscribe('key', { socket: sockets[2]!, id: 'c' }, () => joiners[2]!.source);
    await started(first);

    const events = [event(1), event(2)];
    for (const { result } of events) await first.push(result);
    await vi.waitFor(() => expect(sockets[2]!.frames).toHaveLength(2));

    for (const { counted } of events) expect(counted.serializations).toBe(1);
    sockets.forEach((socket, i) => {
      expect(nexts(socket)).toEqual([
        { id: 'abc'[i], type: 'next', payload: { data: { telemetry: { seq: 1 } } } },
        { id: 'abc'[i], type: 'next', payload: { data: { telemetry: { seq: 2 } } } },
      ]);
    });
    // The same bytes but for the id.
    const withoutId = (frame: string) => frame.replace(/^\{"id":"[abc]"/, '');
    expect(new Set(sockets.map((socket) => withoutId(socket.frames[0]!))).size).toBe(1);
    // The joiners' own subscriptions were closed without ever being started.
    for (const joiner of joiners.slice(1)) expect(joiner.state.started).toBe(false);
    expect(fanout.groupCount).toBe(1);
  });

  it('sends errors in the payload like graphql-ws (JSON form, after data)', async () => {
    const fanout = createLiveFanout();
    const source = controlledSource();
    const socket = fakeSocket();
    await fanout.subscribe('key', { socket, id: 'a' }, () => source.source);
    await started(source);
    await source.push({
      data: { telemetry: null },
      errors: [new GraphQLError('boom', { extensions: { code: 'X' } })],
    });
    await vi.waitFor(() => expect(socket.frames).toHaveLength(1));
    expect(socket.frames[0]).toBe(
      '{"id":"a","type":"next","payload":{"data":{"telemetry":null},"errors":[{"message":"boom","extensions":{"code":"X"}}]}}',
    );
  });

  it('gives a member only the events published after it joined', async () => {
    const fanout = createLiveFanout();
    const source = controlledSource();
    const early = fakeSocket();
    const late = fakeSocket();
    await fanout.subscribe('key', { socket: early, id: 'early' }, () => source.source);
    await started(source);
    await source.push(event(1).result);
    await vi.waitFor(() => expect(early.frames).toHaveLength(1));
    await fanout.subscribe('key', { socket: late, id: 'late' }, () => controlledSource().source);
    await source.push(event(2).result);
    await vi.waitFor(() => expect(early.frames).toHaveLength(2));
    expect(nexts(late).map((m) => m.payload)).toEqual([{ data: { telemetry: { seq: 2 } } }]);
  });

  it('keeps groups apart by key: each key reads its own source', async () => {
    const fanout = createLiveFanout();
    const one = controlledSource();
    const two = controlledSource();
    const socketOne = fakeSocket();
    const socketTwo = fakeSocket();
    await fanout.subscribe('one', { socket: socketOne, id: '1' }, () => one.source);
    await fanout.subscribe('two', { socket: socketTwo, id: '1' }, () => two.source);
    await started(one);
    await started(two);
    await one.push(event(1).result);
    await two.push(event(2).result);
    await vi.waitFor(() => expect(socketTwo.frames).toHaveLength(1));
    expect(nexts(socketOne).map((m) => m.payload)).toEqual([{ data: { telemetry: { seq: 1 } } }]);
    expect(nexts(socketTwo).map((m) => m.payload)).toEqual([{ data: { telemetry: { seq: 2 } } }]);
    expect(fanout.groupCount).toBe(2);
  });

  it('returns a refusal as is and forms no group', async () => {
    const fanout = createLiveFanout();
    const refusal = { errors: [new GraphQLError('not allowed')] };
    const result = await fanout.subscribe('key', { socket: fakeSocket(), id: 'a' }, () => refusal);
    expect(result).toBe(refusal);
    expect(fanout.groupCount).toBe(0);
  });

  it('stops writing to a member that left while the others go on; the last one closes the source', async () => {
    const fanout = createLiveFanout();
    const source = controlledSource();
    const sockets = [fakeSocket(), fakeSocket()];
    const streams = [];
    for (const [i, socket] of sockets.entries()) {
      const opened = i === 0 ? source.source : controlledSource().source;
      streams.push(
        (await fanout.subscribe('key', { socket, id: String(i) }, () => opened)) as AsyncGenerator,
      );
    }
    await started(source);
    await source.push(event(1).result);
    await vi.waitFor(() => expect(sockets[1]!.frames).toHaveLength(1));

    // What graphql-ws does on the client's `complete` or when the socket closes.
    await streams[0]!.return(undefined);
    await source.push(event(2).result);
    await vi.waitFor(() => expect(sockets[1]!.frames).toHaveLength(2));
    expect(sockets[0]!.frames).toHaveLength(1);
    expect(source.state.closed).toBe(false);

    await streams[1]!.return(undefined);
    await vi.waitFor(() => expect(source.state.closed).toBe(true));
    expect(fanout.groupCount).toBe(0);

    // A newcomer with the same key starts a new group from its own subscription.
    const again = controlledSource();
    const socket = fakeSocket();
    await fanout.subscribe('key', { socket, id: 'new' }, () => again.source);
    await started(again);
    await again.push(event(3).result);
    await vi.waitFor(() => expect(socket.frames).toHaveLength(1));
  });

  it('ends a member’s stream when it leaves, so graphql-ws stops iterating it', async () => {
    const fanout = createLiveFanout();
    const stream = (await fanout.subscribe(
      'key',
      { socket: fakeSocket(), id: 'a' },
      () => controlledSource().source,
    )) as AsyncGenerator;
    const next = stream.next();
    await stream.return(undefined);
    await expect(next).resolves.toEqual({ done: true, value: undefined });
  });

  it('completes every member when the source completes, and fails them all when it fails', async () => {
    const fanout = createLiveFanout();
    for (const ending of ['complete', 'fail'] as const) {
      const source = controlledSource();
      const streams = [];
      for (const i of [0, 1]) {
        const opened = i === 0 ? source.source : controlledSource().source;
        streams.push(
          (await fanout.subscribe(
            ending,
            { socket: fakeSocket(), id: String(i) },
            () => opened,
          )) as AsyncGenerator,
        );
      }
      await started(source);
      const nextOf = streams.map((stream) => stream.next());
      if (ending === 'complete') {
        source.end();
        for (const next of nextOf)
          await expect(next).resolves.toEqual({ done: true, value: undefined });
      } else {
        source.fail(new Error('live hub gone'));
        for (const next of nextOf) await expect(next).rejects.toThrow('live hub gone');
      }
      expect(fanout.groupCount).toBe(0);
    }
  });

  it('queues for a member whose socket has too much unsent, without holding up the others', async () => {
    const fanout = createLiveFanout({ maxBufferedBytes: 1_000 });
    const source = controlledSource();
    const slow = fakeSocket();
    const fast = fakeSocket();
    await fanout.subscribe('key', { socket: slow, id: 'slow' }, () => source.source);
    await fanout.subscribe('key', { socket: fast, id: 'fast' }, () => controlledSource().source);
    await started(source);

    slow.bufferedAmount = 1_001;
    await source.push(event(1).result);
    await source.push(event(2).result);
    await vi.waitFor(() => expect(fast.frames).toHaveLength(2));
    expect(slow.frames).toHaveLength(0);

    // Drained: the queued updates follow in order, with nothing dropped.
    slow.bufferedAmount = 0;
    await vi.waitFor(() => expect(slow.frames).toHaveLength(2));
    expect(nexts(slow).map((m) => m.payload)).toEqual([
      { data: { telemetry: { seq: 1 } } },
      { data: { telemetry: { seq: 2 } } },
    ]);
    await source.push(event(3).result);
    await vi.waitFor(() => expect(slow.frames).toHaveLength(3));
  });

  it('drops the oldest past its queue and says how many in the next message, once', async () => {
    const payloadBytes = JSON.stringify({ data: { telemetry: { seq: 10 } } }).length;
    // Room for three updates in the queue.
    const fanout = createLiveFanout({ maxBufferedBytes: 1_000, maxQueuedBytes: 3 * payloadBytes });
    const source = controlledSource();
    const slow = fakeSocket();
    const fast = fakeSocket();
    await fanout.subscribe('key', { socket: slow, id: 'slow' }, () => source.source);
    await fanout.subscribe('key', { socket: fast, id: 'fast' }, () => controlledSource().source);
    await started(source);

    slow.bufferedAmount = 1_001;
    for (let seq = 10; seq < 20; seq++) await source.push(event(seq).result);
    await vi.waitFor(() => expect(fast.frames).toHaveLength(10));
    slow.bufferedAmount = 0;
    await vi.waitFor(() => expect(slow.frames).toHaveLength(3));
    // The newest three, the first of them saying the seven before were dropped; the fast member
    // never sees `dropped`.
    expect(nexts(slow).map((m) => m.payload)).toEqual([
      { data: { telemetry: { seq: 17 } }, extensions: { dropped: 7 } },
      { data: { telemetry: { seq: 18 } } },
      { data: { telemetry: { seq: 19 } } },
    ]);
    expect(nexts(fast).every((m) => !('extensions' in (m.payload as object)))).toBe(true);
  });

  it('keeps the newest update however large, dropping everything older', async () => {
    const fanout = createLiveFanout({ maxBufferedBytes: 1_000, maxQueuedBytes: 1 });
    const source = controlledSource();
    const slow = fakeSocket();
    await fanout.subscribe('key', { socket: slow, id: 'slow' }, () => source.source);
    await started(source);
    slow.bufferedAmount = 1_001;
    for (let seq = 0; seq < 5; seq++) await source.push(event(seq).result);
    slow.bufferedAmount = 0;
    await vi.waitFor(() => expect(slow.frames).toHaveLength(1));
    expect(nexts(slow)[0]!.payload).toEqual({
      data: { telemetry: { seq: 4 } },
      extensions: { dropped: 4 },
    });
  });

  it('writes nothing to a closing socket', async () => {
    const fanout = createLiveFanout();
    const source = controlledSource();
    const closing = fakeSocket();
    const open = fakeSocket();
    await fanout.subscribe('key', { socket: closing, id: 'closing' }, () => source.source);
    await fanout.subscribe('key', { socket: open, id: 'open' }, () => controlledSource().source);
    await started(source);
    closing.readyState = 2;
    await source.push(event(1).result);
    await vi.waitFor(() => expect(open.frames).toHaveLength(1));
    expect(closing.frames).toHaveLength(0);
  });

  it('ends only the member whose write throws; the others still receive', async () => {
    const fanout = createLiveFanout();
    const source = controlledSource();
    const broken = fakeSocket();
    broken.send = () => {
      throw new Error('write after end');
    };
    const healthy = [fakeSocket(), fakeSocket()];
    await fanout.subscribe('key', { socket: healthy[0]!, id: 'h0' }, () => source.source);
    const failing = (await fanout.subscribe(
      'key',
      { socket: broken, id: 'broken' },
      () => controlledSource().source,
    )) as AsyncGenerator;
    await fanout.subscribe(
      'key',
      { socket: healthy[1]!, id: 'h1' },
      () => controlledSource().source,
    );
    await started(source);
    const failed = failing.next();

    await source.push(event(1).result);
    await source.push(event(2).result);
    await vi.waitFor(() => expect(healthy[1]!.frames).toHaveLength(2));
    await expect(failed).rejects.toThrow('write after end');
    expect(healthy[0]!.frames).toHaveLength(2);
  });
});

describe('liveGroupKey', () => {
  const org = 'org-a';
  const viewer = userViewer('alice', org, 'viewer');
  const query = 'subscription Live($ids: [ID!]!) { telemetry(deviceIds: $ids) { ts } }';
  const key = (
    text: string,
    variables: Record<string, unknown>,
    who: Viewer = viewer,
    operationName: string | null = 'Live',
  ) => liveGroupKey(parse(text), operationName, variables, who);

  it('is the same for the same operation written differently and variables in another order', () => {
    const spaced = `# a dashboard
      subscription Live($ids: [ID!]!) {
        telemetry(deviceIds: $ids) { ts }
      }`;
    expect(key(spaced, { ids: ['d1'], extra: { b: 1, a: 2 } })).toBe(
      key(query, { extra: { a: 2, b: 1 }, ids: ['d1'] }),
    );
  });

  it('is the same for another viewer of the same organization with the same permissions', () => {
    const bob = userViewer('bob', org, 'viewer');
    // An API key granted exactly a viewer's permissions, listed in another order.
    const sameScopes = apiKeyViewer(apiKey(['READ_ALERTS', 'READ_TELEMETRY', 'READ_DEVICES']));
    expect(key(query, { ids: ['d1'] }, bob)).toBe(key(query, { ids: ['d1'] }));
    expect(key(query, { ids: ['d1'] }, sameScopes)).toBe(key(query, { ids: ['d1'] }));
  });

  const apiKey = (scopes: ApiKeyScope[]): ApiKey => ({
    id: 'key-1',
    organizationId: org,
    name: 'dashboard',
    prefix: 'iotk_abcdef',
    scopes,
    createdAt: new Date(),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
  });

  it('differs by variables, operation, organization and permission set', () => {
    const base = key(query, { ids: ['d1'] });
    const others = [
      key(query, { ids: ['d2'] }),
      key(query, { ids: ['d1', 'd2'] }),
      key('subscription Live($ids: [ID!]!) { telemetry(deviceIds: $ids) { ts deviceId } }', {
        ids: ['d1'],
      }),
      key(query, { ids: ['d1'] }, viewer, null),
      key(query, { ids: ['d1'] }, userViewer('alice', 'org-b', 'viewer')),
      key(query, { ids: ['d1'] }, userViewer('alice', org, 'admin')),
      key(query, { ids: ['d1'] }, apiKeyViewer(apiKey(['READ_TELEMETRY']))),
      key(query, { ids: ['d1'] }, apiKeyViewer(apiKey(['READ_TELEMETRY', 'READ_DEVICES']))),
    ];
    for (const other of others) expect(other).not.toBe(base);
    expect(new Set(others).size).toBe(others.length);
  });
});

describe('liveGroupKey for subscriptions that replay history', () => {
  const viewer = userViewer('alice', 'org-a', 'viewer');
  const resume =
    'subscription Resume($ids: [ID!]!, $since: DateTime) { telemetry(deviceIds: $ids, since: $since) { ts } }';
  const key = (text: string, variables: Record<string, unknown>) =>
    liveGroupKey(parse(text), null, variables, viewer);

  it('gives every subscriber with `since` a key of its own: each replays its own history', () => {
    const variables = { ids: ['d1'], since: '2026-01-01T00:00:00Z' };
    expect(key(resume, variables)).not.toBe(key(resume, variables));
    const literal =
      'subscription { telemetry(deviceIds: ["d1"], since: "2026-01-01T00:00:00Z") { ts } }';
    expect(key(literal, {})).not.toBe(key(literal, {}));
    const defaulted =
      'subscription ($since: DateTime = "2026-01-01T00:00:00Z") { telemetry(deviceIds: ["d1"], since: $since) { ts } }';
    expect(key(defaulted, {})).not.toBe(key(defaulted, {}));
  });

  it('still groups the same subscription without `since`, or with `since` null', () => {
    expect(key(resume, { ids: ['d1'] })).toBe(key(resume, { ids: ['d1'] }));
    expect(key(resume, { ids: ['d1'], since: null })).toBe(
      key(resume, { ids: ['d1'], since: null }),
    );
    const literalNull = 'subscription { telemetry(deviceIds: ["d1"], since: null) { ts } }';
    expect(key(literalNull, {})).toBe(key(literalNull, {}));
  });
});
