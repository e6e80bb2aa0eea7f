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

/**
 * Why an optional listener (embedded MQTT, metrics) is off, for the warning a process logs when
 * it starts without it: a taken port names the setting to change. `off` is the subject and verb
 * ("MQTT is off", "metrics are off").
 */
export function listenerOffReason(off: string, setting: string, port: unknown, error: unknown) {
  const { code } = error as NodeJS.ErrnoException;
  return code === 'EADDRINUSE'
    ? `${off}: port ${String(port)} is in use by another program; set ${setting} to a free port (or off)`
    : `${off}: the listener could not start (${code ?? String(error)})`;
}
