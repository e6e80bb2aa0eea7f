/**
 * Apart from the handler (src/api/graphql.ts) so the plugins and the WebSocket server can name
 * it without importing the handler.
 */
import type { IncomingMessage } from 'node:http';
import type { Viewer } from '../auth/viewer.js';

/**
 * What yoga hands the context factory besides the request: a WebSocket operation arrives with
 * the Viewer its connection authenticated in `connection_init` (src/api/websocket.ts).
 */
export interface ServerContext {
  viewer?: Viewer;
  /** True for operations over graphql-ws (no HTTP status or headers to set). */
  websocket?: boolean;
  /** The Node request yoga was called with over HTTP: where the client's address comes from. */
  req?: IncomingMessage;
}

export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}
