import { once } from 'node:events';
import WebSocket from 'ws';

export interface WsMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

export interface WsError {
  message: string;
  extensions?: { code?: string; maxSubscriptions?: number };
}

/**
 * A graphql-transport-ws connection spoken by hand, acknowledged, so that ids, the order of
 * messages and every refusal are under the test's control and in view.
 */
export async function openConnection(baseUrl: string, token: string) {
  const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: WsMessage[] = [];
  /** `next` messages received, by subscription id. */
  const nextCount = new Map<string, number>();
  const errors = new Map<string, WsError[]>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as WsMessage;
    if (message.type === 'next' && message.id !== undefined) {
      nextCount.set(message.id, (nextCount.get(message.id) ?? 0) + 1);
    } else if (message.type === 'error' && message.id !== undefined) {
      errors.set(message.id, message.payload as WsError[]);
    } else {
      messages.push(message);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await once(socket, 'open');
  const acknowledged = new Promise<void>((resolve, reject) => {
    socket.on('message', () => {
      if (messages.some((m) => m.type === 'connection_ack')) resolve();
    });
    void closed.then((close) => reject(new Error(`closed before ack: ${close.code}`)));
  });
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } }),
  );
  await acknowledged;
  return {
    socket,
    messages,
    closed,
    /** How many events the subscription `id` has received. */
    received: (id: string) => nextCount.get(id) ?? 0,
    /** The `error` message's errors for `id`, if the server refused it. */
    errorsOf: (id: string) => errors.get(id),
    subscribe(id: string, query: string, variables?: Record<string, unknown>) {
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
    },
    complete(id: string) {
      socket.send(JSON.stringify({ id, type: 'complete' }));
    },
    /** Closes normally and waits for the close to be done. */
    async close() {
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      await closed;
    },
  };
}

export type Connection = Awaited<ReturnType<typeof openConnection>>;
