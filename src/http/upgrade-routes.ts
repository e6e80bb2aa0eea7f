import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const routesOf = new WeakMap<Server, Map<string, UpgradeHandler>>();

/**
 * Routes WebSocket upgrade requests on `server` by path. A `ws` WebSocketServer given the HTTP
 * server answers 400 to any path not its own, so two of them on one server (GraphQL at
 * /graphql, MQTT at /mqtt in the embedded app) need one router instead; each is created with
 * `noServer` and registered here. Other paths get 404. Returns what removes the route.
 */
export function routeUpgrade(server: Server, path: string, handler: UpgradeHandler): () => void {
  let routes = routesOf.get(server);
  if (!routes) {
    const table = new Map<string, UpgradeHandler>();
    routes = table;
    routesOf.set(server, table);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const route = table.get((req.url ?? '/').split('?', 1)[0]!);
      if (route) return route(req, socket, head);
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
  }
  routes.set(path, handler);
  return () => routes.delete(path);
}
