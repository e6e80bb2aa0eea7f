import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { webhookUrlProblem } from './destination.js';

/** What one attempt to deliver a notification came to. */
export interface PostOutcome {
  /** The response's status; null when none came (refused address, network error, timeout). */
  status: number | null;
  latencyMs: number;
  /** Why the attempt failed: null for a 2xx. */
  error: string | null;
}

/** The most of a response body read: enough for an error's excerpt; the rest is left unread. */
const MAX_BODY_BYTES = 1024;
/** How much of a body or Location header an error quotes. */
const EXCERPT_CHARS = 200;

export interface HttpPosterOptions {
  /** CIDRs that may be reached though not public (NOTIFICATION_ALLOWED_NETWORKS). */
  allowedNetworks: readonly string[];
  /** The bound on a whole attempt: connect, send, response head and the body read. */
  timeoutMs: number;
  userAgent?: string;
  /** Resolves host names instead of DNS (tests: a name that resolves where DNS cannot say). */
  lookup?: LookupFunction;
}

/** Why a final response is a failed attempt, or null for a 2xx. */
function responseProblem(
  status: number,
  location: string | undefined,
  body: string,
): string | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) {
    const target =
      location === undefined ? 'nowhere (no Location)' : location.slice(0, EXCERPT_CHARS);
    return `HTTP ${status}: redirect to ${target} not followed`;
  }
  const excerpt = body.trim().slice(0, EXCERPT_CHARS);
  return excerpt === '' ? `HTTP ${status}` : `HTTP ${status}: ${excerpt}`;
}

/**
 * An IPv4-mapped IPv6 literal connects to its IPv4 address; the agent would see it as IPv6 and
 * refuse it (ipv4Mapped is not unicast) even where destination.ts allows the IPv4 address.
 */
function unmapLiteral(url: URL): void {
  if (!url.hostname.startsWith('[')) return;
  const address = ipaddr.process(url.hostname.slice(1, -1));
  if (address.kind() === 'ipv4') url.hostname = address.toString();
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

/**
 * POSTs notifications to webhook receivers and PagerDuty. Redirects are never followed (a
 * receiver could send us anywhere), and only public addresses and those in `allowedNetworks`
 * are reached: the URL is checked first (destination.ts), then the agents check the address each
 * connection really goes to, after DNS. Checking at connect time, not before, is what stops DNS
 * rebinding: a name that resolved to a public address when the URL was checked may resolve to
 * 127.0.0.1 when we connect.
 */
export function createHttpPoster(options: HttpPosterOptions): {
  post(url: string, body: string, headers: Record<string, string>): Promise<PostOutcome>;
  close(): void;
} {
  const policy = { allowedNetworks: options.allowedNetworks };
  // request-filtering-agent 3.2 compares each address with every CIDR until one matches, and
  // console.warns "Invalid CIDR" for a CIDR of the other family (ipaddr.js refuses to compare
  // them): with both IPv4 and IPv6 networks allowed, some connections log that warning. The
  // check itself is right (the address is then judged by its range).
  const filter = { allowIPAddressList: [...options.allowedNetworks], keepAlive: true };
  const httpAgent = new RequestFilteringHttpAgent(filter);
  const httpsAgent = new RequestFilteringHttpsAgent(filter);

  function post(url: string, body: string, headers: Record<string, string>): Promise<PostOutcome> {
    const started = performance.now();
    const latencyMs = () => Math.round(performance.now() - started);
    const problem = webhookUrlProblem(url, policy);
    if (problem !== null) return Promise.resolve({ status: null, latencyMs: 0, error: problem });

    return new Promise<PostOutcome>((resolve) => {
      let request: http.ClientRequest | undefined;
      let settled = false;
      const settle = (status: number | null, error: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status, latencyMs: latencyMs(), error });
      };
      const timer = setTimeout(() => {
        settle(null, `no response within ${options.timeoutMs} ms`);
        request?.destroy();
      }, options.timeoutMs);

      try {
        const target = new URL(url);
        unmapLiteral(target);
        const secure = target.protocol === 'https:';
        request = (secure ? https : http).request(target, {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
            ...headers,
          },
          ...(options.lookup ? { lookup: options.lookup } : {}),
        });
      } catch (error) {
        // Headers node refuses (a line break in a value) throw here, not on the request.
        settle(null, describeError(error));
        return;
      }
      const sent = request;
      sent.on('error', (error) => settle(null, describeError(error)));
      sent.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let read = 0;
        const finish = () =>
          settle(
            status,
            responseProblem(
              status,
              response.headers.location,
              Buffer.concat(chunks).toString('utf8'),
            ),
          );
        response.on('data', (chunk: Buffer) => {
          const wanted = MAX_BODY_BYTES - read;
          chunks.push(chunk.subarray(0, wanted));
          read += Math.min(chunk.length, wanted);
          if (read >= MAX_BODY_BYTES) {
            finish();
            // The rest is not read: a receiver sending without end cannot hold the attempt.
            response.destroy();
          }
        });
        response.on('end', finish);
        // A body cut short still came with its status.
        response.on('close', finish);
        response.on('error', () => {});
      });
      sent.end(body);
    });
  }

  return {
    post,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
