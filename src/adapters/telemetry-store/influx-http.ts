/**
 * A thin client for InfluxDB's v1-compatible HTTP API (`/write`, `/query`), the one API that
 * InfluxDB 1.8+, 2.x (DBRP mapping) and 3.x all serve (DESIGN.md). The official
 * @influxdata/influxdb-client only speaks the v2 API and Flux, so only its line-protocol `Point`
 * encoder is used; the few lines of HTTP here are ours.
 */
export interface InfluxSettings {
  url: string;
  database: string;
  retentionPolicy?: string;
  /** 2.x/3.x token auth. */
  token?: string;
  /** 1.x basic auth. */
  username?: string;
  password?: string;
  timeoutMs?: number;
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

  async function failure(response: Response): Promise<InfluxError> {
    const text = await response.text().catch(() => '');
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // Not JSON: keep the text.
    }
    return new InfluxError(
      `InfluxDB answered ${response.status}: ${message.slice(0, 500)}`,
      response.status,
    );
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
      if (response.status !== 204 && response.status !== 200) throw await failure(response);
    },

    /**
     * Runs InfluxQL statements (`;`-separated, one round trip) with bound parameters: values are
     * never pasted into the query text. Returns each statement's series.
     */
    async query(q: string, params: Record<string, string | number>): Promise<InfluxSeries[][]> {
      const body = new URLSearchParams({ q, params: JSON.stringify(params) });
      const response = await fetch(endpoint('query', { epoch: 'ms' }), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw await failure(response);
      const { results, error } = (await response.json()) as {
        results?: InfluxStatementResult[];
        error?: string;
      };
      if (error) throw new InfluxError(error);
      return (results ?? []).map((result) => {
        if (result.error) throw new InfluxError(result.error);
        return result.series ?? [];
      });
    },

    async ping(): Promise<void> {
      const url = new URL('ping', settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
      if (response.status !== 204 && response.status !== 200) throw await failure(response);
    },
  };
}

/** InfluxQL identifiers are double-quoted; quotes and backslashes inside are escaped. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
