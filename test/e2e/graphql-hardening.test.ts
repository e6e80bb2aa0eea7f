/**
 * GraphQL hardening (issue 4) on the real embedded app: abusive operations are refused quickly,
 * with a documented `extensions.code`, over HTTP and WebSocket alike, while other clients keep
 * being served; introspection follows config; cross-site simple requests are refused.
 */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveClient } from '../support/live-client.js';
import { makeDataDir, startEmbeddedApp } from '../support/embedded-app.js';

type App = Awaited<ReturnType<typeof startEmbeddedApp>>;
interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}
interface Answer {
  status: number;
  ms: number;
  body: { data?: unknown; errors?: GraphQLError[] };
}

/** The schema is shallow (8 levels at most), so the test app gets a low depth limit. */
const MAX_DEPTH = 5;
const WIDE_RANGE = 'from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z"';
const NORMAL_QUERY = '{ devices(first: 5) { edges { node { id name } } } }';
/**
 * A refusal is answered before any resolver runs (tens of ms). The bound is generous: on a
 * 2-core machine at load average 23 single refusals took up to 0.5 s.
 */
const QUICK_MS = 2_000;

let dataDir: Awaited<ReturnType<typeof makeDataDir>>;
let app: App;

beforeAll(async () => {
  dataDir = await makeDataDir();
  app = await startEmbeddedApp(dataDir.dir, { GRAPHQL_MAX_DEPTH: String(MAX_DEPTH) });
});

afterAll(async () => {
  await app?.stop();
  await dataDir?.remove();
});

async function post(
  target: App,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${target.baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${target.adminToken}`,
      ...headers,
    },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const parsed = (await response.json()) as Answer['body'];
  return { status: response.status, ms: performance.now() - started, body: parsed };
}

const query = (target: App, source: string) => post(target, JSON.stringify({ query: source }));

function codes(answer: Answer): (string | undefined)[] {
  return (answer.body.errors ?? []).map((error) => error.extensions?.code);
}

/** Over graphql-ws: the errors an operation is refused with, or null when it was answered. */
async function wsErrors(target: App, source: string): Promise<GraphQLError[] | null> {
  const client = liveClient(target.baseUrl, target.adminToken);
  try {
    return await new Promise((resolve) => {
      client.subscribe(
        { query: source },
        {
          next: (message) => resolve((message.errors as GraphQLError[] | undefined) ?? null),
          error: (error) => resolve(error as GraphQLError[]),
          complete: () => resolve(null),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

const deepQuery = `{ devices(first: 1) { edges { node { rawTelemetry(${WIDE_RANGE}) {
  edges { node { metrics { metric } } } } } } } }`;
const aliasBomb = `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: devices { pageInfo { hasNextPage } }`).join(' ')} }`;
const fewAliasesTooMany = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: devices { pageInfo { hasNextPage } }`).join(' ')} }`;
const tokenFlood = `{ ${'__typename '.repeat(5_000)}}`;
/** `first` multiplies what a list costs: 100 devices with their labels and location. */
const costlyQuery = `{ devices(first: 100) { edges { node {
  id name type externalId status createdAt updatedAt
  labels { key value } location { latitude longitude } } } } }`;

describe('query limits', () => {
  it('refuses a too-deep query, naming the limit', async () => {
    const answer = await query(app, deepQuery);
    expect(codes(answer)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(answer.body.errors?.[0]?.message).toMatch(/depth limit of 5 exceeded, found 8/);
    expect(answer.ms).toBeLessThan(QUICK_MS);
    expect(answer.body.data).toBeUndefined();
  });

  it('refuses too many aliases, and an alias bomb of 1,000', async () => {
    const few = await query(app, fewAliasesTooMany);
    expect(codes(few)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(few.body.errors?.[0]?.message).toMatch(/Aliases limit of 20 exceeded, found 30/);
    // 1,000 aliases are ~7,000 tokens: the token limit stops them while parsing.
    const bomb = await query(app, aliasBomb);
    expect(codes(bomb)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(bomb.ms).toBeLessThan(QUICK_MS);
  });

  it('refuses a token flood while parsing', async () => {
    const answer = await query(app, tokenFlood);
    expect(codes(answer)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(answer.body.errors?.[0]?.message).toMatch(/^Token limit of 2000 exceeded/);
    expect(answer.ms).toBeLessThan(QUICK_MS);
  });

  it('refuses a query whose cost is over the limit', async () => {
    const answer = await query(app, costlyQuery);
    expect(codes(answer)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(answer.body.errors?.[0]?.message).toMatch(/Cost limit of 5000 exceeded/);
    // The same selection with a small page is fine.
    const small = await query(app, costlyQuery.replace('first: 100', 'first: 5'));
    expect(small.body.errors).toBeUndefined();
  });

  it('gives ordinary validation errors a code, and keeps field suggestions when introspection is on', async () => {
    const answer = await query(app, '{ devicez { edges { cursor } } }');
    expect(codes(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(answer.body.errors?.[0]?.message).toMatch(/Did you mean .*"devices"/);
  });
});

describe('request body size', () => {
  const oversized = JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(150_000) });

  it('refuses a declared oversized body with 413 before reading it', async () => {
    const answer = await post(app, oversized);
    expect(answer.status).toBe(413);
    expect(codes(answer)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(answer.ms).toBeLessThan(QUICK_MS);
  });

  it('refuses a streamed (chunked) body once it passes the limit', async () => {
    const bytes = new TextEncoder().encode(oversized);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 16_384) {
          controller.enqueue(bytes.subarray(offset, offset + 16_384));
        }
        controller.close();
      },
    });
    const answer = await post(app, stream);
    expect(answer.status).toBe(413);
    expect(codes(answer)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('still reads a streamed body under the limit', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ query: NORMAL_QUERY }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 10));
        controller.enqueue(bytes.subarray(10));
        controller.close();
      },
    });
    const answer = await post(app, stream);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
  });
});

describe('abuse under load', () => {
  it('answers every attack while a normal client keeps being served', async () => {
    const attacks: [string, () => Promise<Answer>, string][] = [
      ['deep query', () => query(app, deepQuery), 'QUERY_TOO_COMPLEX'],
      ['alias bomb', () => query(app, aliasBomb), 'QUERY_TOO_COMPLEX'],
      ['token flood', () => query(app, tokenFlood), 'QUERY_TOO_COMPLEX'],
      ['oversized body', () => post(app, 'x'.repeat(1_000_000)), 'PAYLOAD_TOO_LARGE'],
    ];
    let attacking = true;
    const normal: Answer[] = [];
    const normalClient = (async () => {
      while (attacking) normal.push(await query(app, NORMAL_QUERY));
    })();
    const started = performance.now();
    try {
      // 20 attacks at once, from the same process as the server: latency here is queueing,
      // so the bound is on the whole wave; each refusal alone is timed in its own test.
      const results = await Promise.all(
        attacks.flatMap(([name, attack, code]) =>
          Array.from({ length: 5 }, async () => ({ name, code, answer: await attack() })),
        ),
      );
      for (const { name, code, answer } of results) expect(codes(answer), name).toEqual([code]);
      expect(performance.now() - started).toBeLessThan(QUICK_MS * 5);
    } finally {
      attacking = false;
      await normalClient;
    }
    expect(normal.length).toBeGreaterThan(0);
    for (const answer of normal) {
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
    }
  });
});

describe('over WebSocket (graphql-ws)', () => {
  it('applies the same limits to WebSocket operations', async () => {
    const depth = await wsErrors(app, deepQuery);
    expect(depth?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    const aliases = await wsErrors(app, fewAliasesTooMany);
    expect(aliases?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    const tokens = await wsErrors(app, tokenFlood);
    expect(tokens?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(await wsErrors(app, NORMAL_QUERY)).toBeNull();
  });
});

describe('introspection', () => {
  it('is allowed by default in embedded mode, including GraphiQL’s full introspection query', async () => {
    const answer = await query(app, getIntrospectionQuery());
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toHaveProperty('__schema.queryType.name', 'Query');
  });

  describe('with GRAPHQL_INTROSPECTION=false', () => {
    let closed: App;
    let closedDir: Awaited<ReturnType<typeof makeDataDir>>;

    beforeAll(async () => {
      closedDir = await makeDataDir();
      closed = await startEmbeddedApp(closedDir.dir, { GRAPHQL_INTROSPECTION: 'false' });
    });

    afterAll(async () => {
      await closed?.stop();
      await closedDir?.remove();
    });

    it('refuses __schema and __type over HTTP and WebSocket, and hides field suggestions', async () => {
      for (const source of [getIntrospectionQuery(), '{ __type(name: "Device") { name } }']) {
        const answer = await query(closed, source);
        expect(codes(answer)).toContain('GRAPHQL_VALIDATION_FAILED');
        expect(answer.body.data).toBeUndefined();
        const overWs = await wsErrors(closed, source);
        expect(overWs?.map((error) => error.extensions?.code)).toContain(
          'GRAPHQL_VALIDATION_FAILED',
        );
      }
      const typo = await query(closed, '{ devicez { edges { cursor } } }');
      expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(typo.body.errors?.[0]?.message).not.toMatch(/devices/);
      // Ordinary operations are untouched.
      expect((await query(closed, NORMAL_QUERY)).body.errors).toBeUndefined();
    });
  });
});

describe('CSRF prevention', () => {
  const getUrl = () => `${app.baseUrl}/graphql?query=${encodeURIComponent('{ __typename }')}`;
  const auth = () => ({ authorization: `Bearer ${app.adminToken}` });

  it('refuses a cross-site-style GET without the header, and serves it with the header', async () => {
    const refused = await fetch(getUrl(), { headers: auth() });
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as Answer['body'];
    expect(body.errors?.[0]?.extensions?.code).toBe('CSRF_HEADER_REQUIRED');

    const allowed = await fetch(getUrl(), {
      headers: { ...auth(), 'x-graphql-client': 'test', accept: 'application/json' },
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a text/plain POST (a form a browser sends cross-site without preflight)', async () => {
    const answer = await post(app, JSON.stringify({ query: '{ __typename }' }), {
      'content-type': 'text/plain',
    });
    expect(answer.status).toBe(403);
    expect(codes(answer)).toEqual(['CSRF_HEADER_REQUIRED']);
  });

  it('still serves GraphiQL to a browser', async () => {
    const page = await fetch(`${app.baseUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('GraphiQL');
  });
});
