/**
 * A thin client for InfluxDB's v1-compatible HTTP API (`/write`, `/query`), the one API that
 * InfluxDB 1.8+, 2.x (DBRP mapping) and 3.x all serve (docs/architecture.md). The official
 * @influxdata/influxdb-client only speaks the v2 API and Flux, so only its line-protocol `Point`
 * encoder is used; the few lines of HTTP here are ours.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { StoreTimeoutError } from '../../ports/store-timeout.js';

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
}

export type InfluxValue = number | string | boolean | null;

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

export function createInfluxHttp(settings: InfluxSettings) {
  const timeoutMs = settings.timeoutMs ?? 10_000;
  const queryTimeoutMs = settings.queryTimeoutMs ?? 30_000;
  const headers: Record<string, string> = {};
  if (settings.token) headers.authorization = `Token ${settings.token}`;
  else if (settings.username) {
    const credentials = `${settings.username}:${settings.password ?? ''}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
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
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
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
      request.setTimeout(timeoutMs, () => {
        silence = new InfluxError(`InfluxDB sent nothing for ${timeoutMs} ms`);
        request.destroy(silence);
      });
      // The whole query's deadline: a read that streams for ever is stopped too.
      if (Number.isFinite(deadlineMs)) {
        deadline = setTimeout(() => {
          silence = new StoreTimeoutError(deadlineMs);
          request.destroy(silence);
        }, deadlineMs);
      }
      request.on('error', reject);
      request.end(body);
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
    params: Record<string, string | number>,
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
      const response = await fetch(endpoint('write', { precision: 'ms' }), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
        body: lines,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status !== 204 && response.status !== 200) {
        throw failure(response.status, await response.text().catch(() => ''));
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
      params: Record<string, string | number>,
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
      params: Record<string, string | number>,
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

    async ping(): Promise<void> {
      const url = new URL('ping', settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
      if (response.status !== 204 && response.status !== 200) {
        throw failure(response.status, await response.text().catch(() => ''));
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
