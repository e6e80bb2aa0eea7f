/**
 * Every Redis client the product makes (the live hub's two connections, the rate limiter, the
 * latest-values cache) comes from here, so all get the same connection options from the URL:
 * TLS for `rediss://`, verified against the URL's CA file (redis-url.ts) or Node's public CAs. A
 * client remembers why its last connection attempt failed, so a command that then fails (after
 * its retries, or its timeout) is reported with that cause: "redis: certificate not trusted
 * (…)", "redis: authentication failed (WRONGPASS …)".
 */
import { Redis, type RedisOptions } from 'ioredis';
import { readCaFile } from './ca-file.js';
import { describeConnectionError, type Classifier } from './engine-errors.js';
import { readRedisUrl } from './redis-url.js';

/** The last connection-level error of each client, cleared once it is ready again. */
const lastErrors = new WeakMap<Redis, Error>();

/** ioredis's options for the URL's TLS, and the URL ioredis should get. */
export function redisConnectionOptions(url: string): { url: string; options: RedisOptions } {
  const parsed = readRedisUrl(url);
  if (!parsed.tls) return { url: parsed.url, options: {} };
  // ioredis turns on TLS for rediss:// by itself; the CA, when there is one, is ours to add.
  const ca = parsed.caFile ? readCaFile('redis', parsed.caFile) : undefined;
  return { url: parsed.url, options: { tls: ca ? { ca } : {} } };
}

/** A client for `url` with the shared connection options, and `options` of the caller's. */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const connection = redisConnectionOptions(url);
  const client = new Redis(connection.url, { ...options, ...connection.options });
  client.on('error', (error: Error) => lastErrors.set(client, error));
  client.on('ready', () => lastErrors.delete(client));
  return client;
}

const classifyRedis: Classifier = (error) => {
  if (/^(WRONGPASS|NOAUTH|ERR invalid password)/.test(error.message)) {
    return { failure: 'authentication', message: `authentication failed (${error.message})` };
  }
  return undefined;
};

/**
 * `error`, met by a command of `client`, as "redis: <cause>": the client's last connection
 * failure when there is one (the command's own error is then only "max retries" or a timeout),
 * else the command's.
 */
export function describeRedisError(client: Redis, error: unknown) {
  const connectionError = lastErrors.get(client);
  const described = connectionError
    ? describeConnectionError('redis', connectionError, classifyRedis)
    : undefined;
  if (described && described.failure !== 'other') return described;
  return describeConnectionError('redis', error, classifyRedis);
}

/** PING, failing with the engine and the cause. */
export async function pingRedis(client: Redis): Promise<void> {
  try {
    await client.ping();
  } catch (error) {
    throw describeRedisError(client, error);
  }
}
