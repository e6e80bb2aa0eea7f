import type { AddressInfo, Server } from 'node:net';

/**
 * `server.listen` as a promise: resolves with the address once listening, rejects with the
 * listen error (EADDRINUSE, EACCES) instead of leaving it to an 'error' event. node:http and
 * node:tls servers are net.Servers, so every listener of the product starts through this.
 */
export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
