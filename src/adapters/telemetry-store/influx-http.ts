/**
 * A thin client for InfluxDB's v1-compatible HTTP API (`/write`, `/query`), the one API that
 * InfluxDB 1.8+, 2.x (DBRP mapping) and 3.x all serve (docs/architecture.md). The official
 * @influxdata/influxdb-client only speaks the v2 API and Flux, so only its line-protocol `Point`
 * encoder is used; the few lines of HTTP here are ours, all on node:http(s): an https:// server
 * is verified against the CA file given (INFLUX_CA_FILE, through one keep-alive agent) or Node's
 * public CAs. (fetch would need undici's dispatcher for a CA of our own.)
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { StoreTimeoutError } from '../../ports/store-timeout.js';
import { readCaFile } from '../connections/ca-file.js';
import { describeConnectionError, type Classifier } from '../connections/engine-errors.js';

export interface InfluxSettings {
  url: string;
  database: string;
  retentionPolicy?: string;
  /** 2.x/3.x token auth. */
  token?: string;
  /** 1.x basic auth. */
  username?: string;
  password?: string;
  /** How long InfluxDB may send nothing (10 s by default). */
  timeoutMs?: number;
  /** How long one query may take in all (StoreTimeoutError); 30 s by default. */
  queryTimeoutMs?: number;
  /** PEM file of the CA an https:// server's certificate must chain to (else Node's public CAs). */
  caFile?: string | undefined;
}

export type InfluxValue = number | string | boolean | null;

/** A value bound to a `$name` in InfluxQL: a regex is bound as `{ regex }` (for `=~`). */
export type BoundValue = string | number | { regex: string };

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: InfluxValue[][];
}

interface InfluxStatementResult {
  statement_id: number;
  series?: InfluxSeries[];
  error?: string;
}

export class InfluxError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'InfluxError';
  }
}

const classifyInflux: Classifier = (error) => {
  const status = error instanceof InfluxError ? (error as InfluxError).status : undefined;
  return status === 401 || status === 403
    ? { failure: 'authentication', message: `authentication failed (${error.message})` }
    : undefined;
};

/** An InfluxDB failure as "influxdb: <cause>" (src/adapters/connections/engine-errors.ts). */
export const describeInfluxError = (error: unknown) =>
  describeConnectionError('influxdb', error, classifyInflux);

export function createInfluxHttp(settings: InfluxSettings) {
  const timeoutMs = settings.timeoutMs ?? 10_000;
  const queryTimeoutMs = settings.queryTimeoutMs ?? 30_000;
  const headers: Record<string, string> = {};
  if (settings.token) headers.authorization = `Token ${settings.token}`;
  else if (settings.username) {
    const credentials = `${settings.username}:${settings.password ?? ''}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  // Our CA for https://, on one agent whose connections are kept alive like the global one's.
  const httpsAgent = settings.caFile
    ? new HttpsAgent({ keepAlive: true, ca: readCaFile('influxdb', settings.caFile) })
    : undefined;

  /** node:http or node:https for the URL, with the CA's agent for https. */
  function request(url: URL, options: RequestOptions, onResponse: (r: IncomingMessage) => void) {
    if (url.protocol !== 'https:') return httpRequest(url, options, onResponse);
    return httpsRequest(url, httpsAgent ? { ...options, agent: httpsAgent } : options, onResponse);
  }

  /** A short request (a write, a ping) and its whole answer, within `deadlineMs`. */
  function send(
    url: URL,
    method: 'GET' | 'POST',
    deadlineMs: number,
    body?: { text: string; type: string },
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const requestHeaders: Record<string, string | number> = { ...headers };
      if (body) {
        requestHeaders['content-type'] = body.type;
        requestHeaders['content-length'] = Buffer.byteLength(body.text);
      }
      const outgoing = request(url, { method, headers: requestHeaders }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      const deadline = setTimeout(
        () => outgoing.destroy(new InfluxError(`InfluxDB did not answer within ${deadlineMs} ms`)),
        deadlineMs,
      );
      outgoing.on('close', () => clearTimeout(deadline));
      outgoing.on('error', reject);
      outgoing.end(body?.text);
    });
  }

  function endpoint(path: string, params: Record<string, string>) {
    const url = new URL(path, settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
    url.searchParams.set('db', settings.database);
    if (settings.retentionPolicy) url.searchParams.set('rp', settings.retentionPolicy);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url;
  }

  function failure(status: number, text: string): InfluxError {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // Not JSON: keep the text.
    }
    return new InfluxError(`InfluxDB answered ${status}: ${message.slice(0, 500)}`, status);
  }

  /**
   * POSTs a query and resolves with the response as it starts to arrive. node:http rather than
   * fetch: InfluxDB sends a long answer in many small pieces, and fetch's web streams took two to
   * three times as long as node:http to read the same answer here. The timeout is for silence,
   * not for the whole answer: a long read (a SUM over many points reads them all) goes on as long
   * as InfluxDB keeps sending, and fails once it sends nothing for timeoutMs.
   */
  function postQuery(url: URL, body: string, deadlineMs: number) {
    let silence: InfluxError | StoreTimeoutError | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method: 'POST',
          headers: {
            ...headers,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
          },
        },
        resolve,
      );
      outgoing.setTimeout(timeoutMs, () => {
        silence = new InfluxError(`InfluxDB sent nothing for ${timeoutMs} ms`);
        outgoing.destroy(silence);
      });
      // The whole query's deadline: a read that streams for ever is stopped too.
      if (Number.isFinite(deadlineMs)) {
        deadline = setTimeout(() => {
          silence = new StoreTimeoutError(deadlineMs);
          outgoing.destroy(silence);
        }, deadlineMs);
      }
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    // Once the answer has begun, destroying the request fails its reading as 'aborted'.
    return {
      response,
      why: (error: unknown) => silence ?? error,
      done: () => clearTimeout(deadline),
    };
  }

  /** Runs the statements and hands over each result (of one chunk) as it arrives. */
  async function results(
    q: string,
    params: Record<string, BoundValue>,
    handle: (result: InfluxStatementResult) => void,
    deadlineMs = queryTimeoutMs,
  ): Promise<void> {
    const body = new URLSearchParams({ q, params: JSON.stringify(params) }).toString();
    const query = postQuery(endpoint('query', { epoch: 'ms', chunked: 'true' }), body, deadlineMs);
    try {
      const response = await query.response;
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        let text = '';
        for await (const line of lines(response)) text += line;
        throw failure(status, text);
      }
      for await (const chunk of lines(response)) {
        const answer = JSON.parse(chunk) as { results?: InfluxStatementResult[]; error?: string };
        if (answer.error) throw new InfluxError(answer.error);
        for (const result of answer.results ?? []) {
          if (result.error) throw new InfluxError(result.error);
          handle(result);
        }
      }
    } catch (error) {
      throw query.why(error);
    } finally {
      query.done();
    }
  }

  return {
    /** Writes line protocol with millisecond timestamps. */
    async write(lines: string): Promise<void> {
      const response = await send(endpoint('write', { precision: 'ms' }), 'POST', timeoutMs, {
        text: lines,
        type: 'text/plain; charset=utf-8',
      });
      if (response.status !== 204 && response.status !== 200) {
        throw failure(response.status, response.text);
      }
    },

    /**
     * Runs InfluxQL statements (`;`-separated, one round trip) with bound parameters: values are
     * never pasted into the query text, and hands each piece of a series to `each` as it arrives,
     * with the index of its statement. A long series comes in several pieces (InfluxDB's chunks
     * of rows), in order, so a caller can fold the rows of a long read without holding them.
     *
     * Chunked: InfluxDB then answers one JSON object per chunk, and its [http] max-row-limit, which
     * silently cuts a plain answer short, does not apply: every row of the answer arrives.
     */
    queryEach(
      q: string,
      params: Record<string, BoundValue>,
      each: (statement: number, series: InfluxSeries) => void,
    ): Promise<void> {
      return results(q, params, (result) => {
        for (const series of result.series ?? []) each(result.statement_id, series);
      });
    },

    /**
     * Each statement's series, whole (queryEach's pieces put together). `deadlineMs` overrides
     * queryTimeoutMs (Infinity for none: the retention's DELETE).
     */
    async query(
      q: string,
      params: Record<string, BoundValue>,
      deadlineMs = queryTimeoutMs,
    ): Promise<InfluxSeries[][]> {
      const statements: InfluxSeries[][] = [];
      await results(
        q,
        params,
        (result) => {
          // Every statement has a result, with or without series.
          const series = (statements[result.statement_id] ??= []);
          for (const next of result.series ?? []) {
            const last = series.at(-1);
            if (last && last.name === next.name && sameTags(last.tags, next.tags)) {
              for (const row of next.values) last.values.push(row);
            } else series.push(next);
          }
        },
        deadlineMs,
      );
      return Array.from(statements, (series) => series ?? []);
    },

    /**
     * /ping, and with credentials a SHOW DATABASES too: InfluxDB 1.x answers /ping without
     * checking them, and a wrong password must fail readiness, not every write. Fails with
     * "influxdb: <cause>": "authentication failed (…)", "certificate not trusted (…)", ….
     */
    async ping(): Promise<void> {
      try {
        const url = new URL('ping', settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
        const response = await send(url, 'GET', 2_000);
        if (response.status !== 204 && response.status !== 200) {
          throw failure(response.status, response.text);
        }
        if (headers.authorization) {
          const answer = await send(endpoint('query', { q: 'SHOW DATABASES' }), 'GET', 2_000);
          // Only refused credentials count: a server that has no SHOW DATABASES still answers.
          if (answer.status === 401 || answer.status === 403) {
            throw failure(answer.status, answer.text);
          }
        }
      } catch (error) {
        throw describeInfluxError(error);
      }
    },
  };
}

/**
 * The non-empty lines of a response, as they arrive. A line is put together once, when its end
 * arrives: a chunk of rows is a line of a few hundred KB that arrives in many pieces. A reader
 * that stops early (a statement failed) destroys the rest, so the connection does not hold it.
 */
async function* lines(response: IncomingMessage): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pieces: string[] = [];
  try {
    for await (const bytes of response as AsyncIterable<Buffer>) {
      const text = decoder.decode(bytes, { stream: true });
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        pieces.push(text.slice(start, end));
        const line = pieces.join('');
        pieces = [];
        if (line !== '') yield line;
        start = end + 1;
      }
      if (start < text.length) pieces.push(text.slice(start));
    }
    const last = pieces.join('') + decoder.decode();
    if (last !== '') yield last;
  } finally {
    if (!response.complete) response.destroy();
  }
}

function sameTags(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** InfluxQL identifiers are double-quoted; quotes and backslashes inside are escaped. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
