/**
 * GraphiQL on the real embedded app: a page of a few KB loading GraphiQL's files from this
 * process as separate, immutable, precompressed files (ETag and 304); br and gzip as the client
 * accepts them, for those files, the page and large GraphQL answers; and a first load that sends
 * nothing the API would refuse, telling the person what to paste instead. The last part runs in
 * Chromium where it is installed (CHROMIUM_PATH, default /usr/bin/chromium; Debian's `chromium`
 * package), and against the page's own script in a stub window everywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NO_TOKEN_MESSAGE } from '../../src/api/graphiql/index.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as they came over the wire (no decoding). */
  body: Buffer;
}

/** One request with node:http, which, unlike fetch, leaves a compressed body as it is. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.end(options.body);
  });
}

function decode(response: RawResponse): Buffer {
  const encoding = response.headers['content-encoding'];
  if (encoding === 'br') return brotliDecompressSync(response.body);
  if (encoding === 'gzip') return gunzipSync(response.body);
  if (encoding === 'deflate') return inflateSync(response.body);
  expect(encoding).toBeUndefined();
  return response.body;
}

const getPage = (acceptEncoding = 'identity') =>
  send(`${app.baseUrl}/graphql`, {
    headers: { accept: 'text/html', 'accept-encoding': acceptEncoding },
  });

interface PageConfig {
  options: { headers: string; additionalHeaders: Record<string, string>; title: string };
  workers: Record<string, string>;
}

function pageConfig(html: string): PageConfig {
  const json = /<script id="graphiql-config" type="application\/json">(.*?)<\/script>/s.exec(html);
  expect(json, 'the page carries its GraphiQL config as JSON').not.toBeNull();
  return JSON.parse(json![1]!) as PageConfig;
}

/** Every file the page loads: its links and scripts, and Monaco's workers. */
function assetUrls(html: string): string[] {
  const linked = [...html.matchAll(/(?:src|href)="(\/graphiql\/assets\/[^"]+)"/g)].map(
    (match) => match[1]!,
  );
  return [...new Set([...linked, ...Object.values(pageConfig(html).workers)])];
}

const CONTENT_TYPES: Record<string, RegExp> = {
  '.js': /^text\/javascript; charset=utf-8$/,
  '.css': /^text\/css; charset=utf-8$/,
  '.ico': /^image\/x-icon$/,
};

describe('the GraphiQL page and its files', () => {
  let html: string;
  beforeAll(async () => {
    html = (await getPage()).body.toString('utf8');
  });

  it('is a page of a few KB that inlines none of GraphiQL', async () => {
    const page = await getPage();
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body.length).toBeLessThan(20_000);
    expect(html).not.toMatch(/data:|createObjectURL|https?:\/\//);
  });

  it('serves every file the page references, 200, typed, cacheable for good', async () => {
    // GraphiQL's script and CSS, the favicon, the page's own script and Monaco's three workers.
    const urls = assetUrls(html);
    expect(urls).toHaveLength(7);
    for (const url of urls) {
      const answer = await send(app.baseUrl + url, { headers: { 'accept-encoding': 'identity' } });
      expect(answer.status, url).toBe(200);
      expect(answer.headers['content-type'], url).toMatch(CONTENT_TYPES[path.extname(url)]!);
      expect(answer.headers['cache-control'], url).toBe('public, max-age=31536000, immutable');
      expect(answer.headers['x-content-type-options'], url).toBe('nosniff');
      expect(answer.headers.etag, url).toMatch(/^"[0-9a-f]{16}"$/);
      // The name carries the content's hash: a changed file is a new URL.
      expect(url).toContain(answer.headers.etag!.slice(1, -1));
      expect(Number(answer.headers['content-length']), url).toBe(answer.body.length);
    }
    const head = await send(app.baseUrl + urls[0]!, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect((await send(`${app.baseUrl}/graphiql/assets/graphiql.0000000000000000.js`)).status).toBe(
      404,
    );
  });

  it('sends br or gzip as accepted, each decoding to the identity body', async () => {
    for (const url of ['/graphql', ...assetUrls(html)]) {
      const get = (acceptEncoding: string) =>
        url === '/graphql'
          ? getPage(acceptEncoding)
          : send(app.baseUrl + url, { headers: { 'accept-encoding': acceptEncoding } });
      const identity = await get('identity');
      expect(identity.headers['content-encoding'], url).toBeUndefined();
      expect(identity.headers.vary, url).toMatch(/accept-encoding/i);
      const cases: [string, string][] = [
        ['gzip, deflate, br, zstd', 'br'],
        ['br', 'br'],
        ['gzip', 'gzip'],
        ['br;q=0.5, gzip', 'gzip'],
        ['gzip;q=0, *', 'br'],
      ];
      for (const [acceptEncoding, expected] of cases) {
        const encoded = await get(acceptEncoding);
        expect(encoded.status, `${url} ${acceptEncoding}`).toBe(200);
        expect(encoded.headers['content-encoding'], `${url} ${acceptEncoding}`).toBe(expected);
        expect(encoded.headers.vary, url).toMatch(/accept-encoding/i);
        expect(encoded.body.length, url).toBeLessThan(identity.body.length);
        expect(decode(encoded).equals(identity.body), `${url} ${acceptEncoding}`).toBe(true);
      }
      const deflateOnly = await get('deflate');
      if (url !== '/graphql') expect(deflateOnly.headers['content-encoding'], url).toBeUndefined();
      expect(decode(deflateOnly).equals(identity.body), url).toBe(true);
    }
  });

  it('answers a reload that names the ETag it holds with 304 and no body', async () => {
    for (const url of assetUrls(html)) {
      const first = await send(app.baseUrl + url, { headers: { 'accept-encoding': 'br' } });
      expect(first.headers.etag, url).toMatch(/^"[0-9a-f]{16}-br"$/);
      const etag = first.headers.etag!;
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const again = await send(app.baseUrl + url, {
          headers: { 'accept-encoding': 'br', 'if-none-match': ifNoneMatch },
        });
        expect(again.status, `${url} ${ifNoneMatch}`).toBe(304);
        expect(again.body.length).toBe(0);
        expect(again.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      }
      const stale = await send(app.baseUrl + url, { headers: { 'if-none-match': '"0123"' } });
      expect(stale.status, url).toBe(200);
    }
  });
});

describe('GraphQL answers', () => {
  const post = (body: unknown, headers: Record<string, string>) =>
    send(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${app.adminToken}`,
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('are compressed above 1 KiB as the client accepts, not below it, nor subscription streams', async () => {
    const introspection = { query: getIntrospectionQuery() };
    const identity = await post(introspection, { 'accept-encoding': 'identity' });
    expect(identity.status).toBe(200);
    expect(identity.headers.vary).toMatch(/accept-encoding/i);
    for (const [acceptEncoding, expected] of [
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
    ]) {
      const encoded = await post(introspection, { 'accept-encoding': acceptEncoding! });
      expect(encoded.status).toBe(200);
      expect(encoded.headers['content-encoding']).toBe(expected);
      expect(encoded.body.length).toBeLessThan(identity.body.length / 4);
      expect(JSON.parse(decode(encoded).toString('utf8'))).toEqual(
        JSON.parse(identity.body.toString('utf8')),
      );
    }

    const small = await post({ query: '{ __typename }' }, { 'accept-encoding': 'br, gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString('utf8'))).toEqual({ data: { __typename: 'Query' } });

    const stream = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      const req = request(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'accept-encoding': 'br, gzip',
          authorization: `Bearer ${app.adminToken}`,
        },
      });
      req.once('error', reject);
      req.once('response', (res) => {
        resolve(res.headers);
        req.destroy();
      });
      req.end(JSON.stringify({ query: 'subscription { alerts { deviceId } }' }));
    });
    expect(stream['content-type']).toMatch(/^text\/event-stream/);
    // yoga marks the stream `Content-Encoding: none` for proxies; what matters is no coding.
    expect(['none', undefined]).toContain(stream['content-encoding']);
  });
});

describe("the page's first load without a token", () => {
  it('answers GraphiQL in the page, never asking the server, until a bearer token is pasted', async () => {
    const html = (await getPage()).body.toString('utf8');
    const config = pageConfig(html);
    const startUrl = /<script defer src="(\/graphiql\/assets\/start\.[0-9a-f]+\.js)">/.exec(html);
    expect(startUrl, 'the page runs its own script first').not.toBeNull();
    const source = (await send(app.baseUrl + startUrl![1]!)).body.toString('utf8');

    // The script in a stub window: the real fetch underneath, every call to it counted.
    const toServer: string[] = [];
    let onLoad: (() => void) | undefined;
    const rendered: unknown[] = [];
    const sandbox: Record<string, unknown> = {
      URL,
      Request,
      Response,
      Promise,
      JSON,
      location: new URL(`${app.baseUrl}/graphql`),
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        toServer.push(new Request(input, init).url);
        return fetch(input, init);
      },
      document: {
        getElementById: (id: string) =>
          id === 'graphiql-config' ? { textContent: JSON.stringify(config) } : { id },
        addEventListener: (type: string, listener: () => void) => {
          if (type === 'DOMContentLoaded') onLoad = listener;
        },
      },
      YogaGraphiQL: {
        renderYogaGraphiQL: (_root: unknown, options: unknown) => rendered.push(options),
      },
    };
    sandbox.window = sandbox;
    sandbox.self = sandbox;
    vm.runInNewContext(source, sandbox);
    const pageFetch = sandbox.fetch as typeof fetch;

    // What GraphiQL sends first: the introspection query with the Headers tab as it opens.
    const initialHeaders = JSON.parse(config.options.headers) as Record<string, string>;
    expect(initialHeaders.Authorization).toMatch(/^Bearer </);
    const introspect = (headers: Record<string, string>, url = `${app.baseUrl}/graphql`) =>
      pageFetch(url, {
        method: 'POST',
        headers: {
          ...config.options.additionalHeaders,
          ...headers,
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
        },
        body: JSON.stringify({ query: getIntrospectionQuery() }),
      });
    // The server refuses that (as it always did)...
    const refused = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { ...initialHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(refused.status).toBe(401);
    // ...so the page answers it itself, with what to paste.
    for (const headers of [initialHeaders, {}, { authorization: 'Bearer' }]) {
      const answer = await introspect(headers);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({
        errors: [{ message: NO_TOKEN_MESSAGE, extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    const subscribeGet = await pageFetch(
      `${app.baseUrl}/graphql?query=${encodeURIComponent('subscription { alerts { deviceId } }')}`,
      { headers: { accept: 'text/event-stream', ...initialHeaders } },
    );
    expect(((await subscribeGet.json()) as { errors: unknown[] }).errors).toHaveLength(1);
    expect(toServer).toEqual([]);
    expect(NO_TOKEN_MESSAGE).toContain('{"Authorization": "Bearer <token>"}');

    // With a token pasted, GraphiQL's requests go to the server as they are.
    const answer = await introspect({ Authorization: `Bearer ${app.adminToken}` });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: { __schema: unknown } }).data.__schema).toBeTruthy();
    expect(toServer).toEqual([`${app.baseUrl}/graphql`]);
    // Other URLs are none of its business.
    expect((await pageFetch(`${app.baseUrl}/health`)).status).toBe(200);
    expect(toServer).toHaveLength(2);

    // Monaco's workers come from their files; GraphiQL renders with the page's options.
    const monaco = sandbox.MonacoEnvironment as {
      getWorkerUrl: (moduleId: string, label: string) => string;
    };
    for (const label of ['editorWorkerService', 'json', 'graphql']) {
      expect(monaco.getWorkerUrl('', label)).toBe(config.workers[label]);
    }
    expect(rendered).toEqual([]);
    onLoad!();
    expect(rendered).toEqual([config.options]);
  });
});

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('GraphiQL in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    browser = await launchChromium(CHROMIUM);
  });
  afterAll(() => browser?.close());

  it('renders, starts its workers, says what to paste without a failing request, then runs a query with the token', async () => {
    const page = await browser.newPage();
    await page.send('Emulation.setDeviceMetricsOverride', {
      width: 1400,
      height: 1000,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await page.send('Page.navigate', { url: `${app.baseUrl}/graphql` });
    // Monaco draws spaces as no-break spaces.
    const responsePane = async () =>
      (
        await page.evaluate<string | undefined>(
          `document.querySelector('.graphiql-response')?.innerText`,
        )
      )?.replace(/\u00a0/g, ' ') ?? '';
    await until(async () => (await responsePane()).includes('No token yet'));
    await until(() => page.workers.length === 3);

    expect(new Set(page.workers)).toEqual(
      new Set(
        Object.values(pageConfig((await getPage()).body.toString()).workers).map(
          (url) => app.baseUrl + url,
        ),
      ),
    );
    const firstLoad = page.takeRequests();
    expect(firstLoad.filter((r) => r.failed || (r.status ?? 0) >= 400)).toEqual([]);
    // The page itself is the only request to the endpoint: no introspection went out.
    expect(firstLoad.filter((r) => new URL(r.url).pathname === '/graphql')).toEqual([
      expect.objectContaining({ method: 'GET', status: 200 }),
    ]);
    expect(page.exceptions).toEqual([]);

    // The person pastes the line `npm start` printed into the Headers tab and runs a query.
    await page.click('Headers');
    await page.paste(
      '.graphiql-editor-tool .graphiql-editor:not(.hidden)',
      `{"Authorization": "Bearer ${app.adminToken}"}`,
    );
    await page.paste('.graphiql-query-editor .graphiql-editor', 'query { __typename }');
    // GraphiQL takes the editors' text in debounced, as it stores its tabs (headers included).
    const stored = () => page.evaluate<string>(`localStorage.getItem('graphiql:tabState') ?? ''`);
    await until(async () => {
      const tabs = await stored();
      return tabs.includes(app.adminToken) && tabs.includes('query { __typename }');
    });
    await page.click('Execute query (Ctrl-Enter)');
    await until(async () => (await responsePane()).includes('"__typename": "Query"'));
    // The schema comes with the ↻ button the message points at.
    await page.click('Re-fetch GraphQL schema (Shift-Ctrl-R)');
    const posts = () => page.requests.filter((r) => r.method === 'POST');
    await until(() => posts().length === 2 && posts().every((r) => r.status !== undefined));
    expect(posts().map((r) => [new URL(r.url).pathname, r.status])).toEqual([
      ['/graphql', 200],
      ['/graphql', 200],
    ]);
    expect(page.takeRequests().filter((r) => r.failed || (r.status ?? 0) >= 400)).toEqual([]);

    // A reload keeps the pasted headers: the schema loads at once, the files come from the cache.
    await page.send('Page.reload', {});
    await until(() => page.requests.some((r) => r.method === 'POST' && r.status === 200));
    const reload = page.takeRequests();
    expect(reload.filter((r) => r.failed || (r.status ?? 0) >= 400)).toEqual([]);
    // GraphiQL's script ran (it sent the introspection), so it and what came before it loaded.
    const loaded = reload.filter((r) => /\/(graphiql|start)\.\w+\.(js|css)$/.test(r.url));
    expect(loaded.map((r) => [path.basename(r.url).split('.')[0], r.bytes]).sort()).toEqual([
      ['graphiql', 0],
      ['graphiql', 0],
      ['start', 0],
    ]);
    expect(page.exceptions).toEqual([]);
  }, 90_000);
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(condition)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface SeenRequest {
  url: string;
  method: string;
  status?: number;
  failed?: string;
  /** Bytes received for it, headers included (0: the browser's cache answered). */
  bytes?: number;
}

/**
 * Headless Chromium over the DevTools protocol (a WebSocket, the `ws` the product uses):
 * pages whose http requests, dedicated workers and uncaught exceptions are recorded.
 */
async function launchChromium(executable: string) {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'graphiql-chromium-'));
  const chromium: ChildProcess = spawn(
    executable,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    chromium.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    chromium.once('exit', () => reject(new Error(`chromium exited: ${output}`)));
  });
  const socket = new WebSocket(endpoint, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let lastId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<
    (event: { method: string; params: never; sessionId?: string }) => void
  >();
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
      method: string;
      params: never;
      sessionId?: string;
    };
    if (message.id === undefined) return listeners.forEach((listener) => listener(message));
    const call = pending.get(message.id)!;
    pending.delete(message.id);
    if (message.error) call.reject(new Error(message.error.message));
    else call.resolve(message.result);
  });
  const send = <T>(method: string, params: object = {}, sessionId?: string) =>
    new Promise<T>((resolve, reject) => {
      const id = ++lastId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params, sessionId }));
    });

  return {
    async newPage() {
      const { targetId } = await send<{ targetId: string }>('Target.createTarget', {
        url: 'about:blank',
      });
      const { sessionId } = await send<{ sessionId: string }>('Target.attachToTarget', {
        targetId,
        flatten: true,
      });
      const page = {
        requests: [] as SeenRequest[],
        workers: [] as string[],
        exceptions: [] as string[],
        send: <T = unknown>(method: string, params: object = {}) =>
          send<T>(method, params, sessionId),
        takeRequests() {
          const taken = page.requests;
          page.requests = [];
          return taken;
        },
        async evaluate<T>(expression: string): Promise<T> {
          const { result } = await page.send<{ result: { value: T } }>('Runtime.evaluate', {
            expression,
            returnByValue: true,
            awaitPromise: true,
          });
          return result.value;
        },
        /** Clicks the button with this label or text. */
        click: (label: string) =>
          page.evaluate(
            `[...document.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === ${JSON.stringify(label)} || b.innerText === ${JSON.stringify(label)}).click()`,
          ),
        /** Replaces a Monaco editor's text as a person does: select all, paste. */
        async paste(selector: string, text: string) {
          await page.evaluate(
            `document.querySelector(${JSON.stringify(`${selector} textarea`)}).focus()`,
          );
          for (const type of ['rawKeyDown', 'keyUp']) {
            await page.send('Input.dispatchKeyEvent', {
              type,
              key: 'a',
              code: 'KeyA',
              windowsVirtualKeyCode: 65,
              modifiers: 2,
            });
          }
          await page.evaluate(`(() => {
            const data = new DataTransfer();
            data.setData('text/plain', ${JSON.stringify(text)});
            document.querySelector(${JSON.stringify(`${selector} textarea`)})
              .dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
          })()`);
        },
      };
      const byId = new Map<string, SeenRequest>();
      listeners.add(({ method, params, sessionId: from }) => {
        const event = params as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        if (method === 'Target.attachedToTarget' && event.targetInfo.type === 'worker') {
          page.workers.push(event.targetInfo.url as string);
        }
        if (from !== sessionId) return;
        if (method === 'Network.requestWillBeSent' && /^https?:/.test(event.request.url)) {
          const seen = { url: event.request.url as string, method: event.request.method as string };
          byId.set(event.requestId as string, seen);
          page.requests.push(seen);
        }
        const seen = byId.get(event?.requestId as string);
        if (method === 'Network.responseReceived' && seen) seen.status = event.response.status;
        if (method === 'Network.loadingFailed' && seen) seen.failed = event.errorText;
        if (method === 'Network.loadingFinished' && seen) seen.bytes = event.encodedDataLength;
        if (method === 'Runtime.exceptionThrown') {
          page.exceptions.push(
            String(event.exceptionDetails.exception?.description ?? event.exceptionDetails.text),
          );
        }
      });
      await page.send('Network.enable');
      await page.send('Runtime.enable');
      await page.send('Page.enable');
      await page.send('Target.setAutoAttach', {
        autoAttach: true,
        waitForDebuggerOnStart: false,
        flatten: true,
      });
      return page;
    },
    async close() {
      socket.close();
      if (chromium.exitCode === null && chromium.signalCode === null) {
        const exited = new Promise((resolve) => chromium.once('exit', resolve));
        chromium.kill();
        const stubborn = setTimeout(() => chromium.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(stubborn);
      }
      await rm(profile, { recursive: true, force: true });
    },
  };
}
