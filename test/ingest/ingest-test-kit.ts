import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { DeviceIdentity, DeviceRepository } from '../../src/ports/device-repository.js';
import { hashDeviceToken } from '../../src/auth/device-tokens.js';

export const silentLogger = pino({ level: 'silent' });

/** The one DeviceRepository method ingest uses, over a map of token → identity, counting calls. */
export function createDeviceDouble(tokens: Record<string, DeviceIdentity>) {
  const byHash = new Map(
    Object.entries(tokens).map(([token, identity]) => [hashDeviceToken(token), identity]),
  );
  const double = {
    /** Queries made, and the token hashes each asked for. */
    lookups: 0,
    asked: [] as (readonly string[])[],
    fail: false,
    byHash,
    async findIdentitiesByTokenHashes(tokenHashes: readonly string[]) {
      double.lookups++;
      double.asked.push(tokenHashes);
      if (double.fail) throw new Error('database unreachable');
      const found = new Map<string, DeviceIdentity>();
      for (const hash of tokenHashes) {
        const identity = byHash.get(hash);
        if (identity) found.set(hash, identity);
      }
      return found;
    },
  } satisfies Pick<DeviceRepository, 'findIdentitiesByTokenHashes'> & Record<string, unknown>;
  return double;
}

/** A real HTTP server on an ephemeral port. */
export async function listen(handler: Parameters<typeof createServer>[1]) {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/telemetry`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PostOptions {
  token?: string;
  contentType?: string;
  method?: string;
  headers?: Record<string, string>;
}

export async function post(url: string, body: BodyInit | undefined, options: PostOptions = {}) {
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers: {
      ...(options.contentType !== '' && {
        'content-type': options.contentType ?? 'application/json',
      }),
      ...(options.token && { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body,
    ...(body instanceof ReadableStream && { duplex: 'half' }),
  } as RequestInit);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}
