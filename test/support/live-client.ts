import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client for the server at `baseUrl`, as a dashboard would open one. */
export function liveClient(
  baseUrl: string,
  connectionParams: Record<string, unknown> | string,
): Client {
  return createClient({
    url: `${baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams:
      typeof connectionParams === 'string'
        ? { Authorization: `Bearer ${connectionParams}` }
        : connectionParams,
    retryAttempts: 0,
  });
}
