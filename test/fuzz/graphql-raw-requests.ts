/**
 * Raw requests to /graphql: the HTTP surface itself (body, media type, method), below any
 * argument. Bodies are valid, cut short, spliced with junk, or not JSON at all; the answers are
 * judged as any other (checkErrors), whether JSON, SSE or multipart/mixed.
 */
import fc from 'fast-check';
import type { EmbeddedApp } from '../support/use-embedded-app.js';
import { printedAs, Violation } from './fuzz-support.js';
import { oddString, spliced } from './odd-strings.js';
import { visible } from './string-escapes.js';
import { checkErrors, errorsOf } from './graphql-error-checks.js';

/** Documents that are valid, cut short, or with junk spliced in. */
const VALID_DOCUMENTS = [
  '{ devices(first: 2) { edges { cursor node { id name latest { metric value ts } } } } }',
  'query Q($id: ID!) { device(id: $id) { id name } }',
  'mutation { disableDevice(id: "x") { id } }',
  'subscription { alerts { status } }',
  '{ alertRules { id threshold } apiKeys { id } }',
  'query A { __typename } query B { __typename }',
  '{ __schema { types { name } } }',
  '{ ...F } fragment F on Query { __typename }',
  '{ devices @include(if: true) { pageInfo { hasNextPage } } }',
];
const TOKENS = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '$',
  '...',
  '@include',
  '@skip(if: $x)',
  '#',
  ':',
  '=',
  '|',
  '&',
  '!',
  'query',
  'mutation',
  'subscription',
  'fragment',
  'on',
  'devices',
  'device',
  'id',
  '"',
  '"""',
  '"\\u0000"',
  '"\\uD800"',
  '"\\u{110000}"',
  '1e400',
  '-0',
  '0x1',
  'null',
  'true',
  '__typename',
  '__schema',
  '\u0000',
  '\ud800',
  '\ufeff',
  '😀',
  '\u2028',
  ',',
  ' ',
  '\n',
];
const documentText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...VALID_DOCUMENTS),
  fc
    .tuple(fc.constantFrom(...VALID_DOCUMENTS), fc.nat(), fc.constantFrom('', ...TOKENS))
    .map(([text, at, junk]) => spliced(text, at % (text.length + 1), junk)),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }).map((tokens) => tokens.join(' ')),
  oddString,
  fc.constantFrom('', ' ', '{', '{'.repeat(2_000), `{ ${'a '.repeat(3_000)}}`),
);

interface RawRequest {
  method: 'POST' | 'GET' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH';
  contentType: string | undefined;
  accept: string | undefined;
  search: string;
  body: Buffer | undefined;
}

/** JSON text of any value (`undefined`, which JSON cannot hold, as null). */
const jsonText = (value: unknown) => JSON.stringify(value) ?? 'null';

const rawBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          query: fc.oneof(
            { weight: 6, arbitrary: documentText },
            { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
          ),
          variables: fc.oneof(
            fc.constant({ id: 'x' }),
            fc.jsonValue({ maxDepth: 2 }),
            fc.constantFrom('{"id":"x"}', '', 'null'),
          ),
          operationName: fc.oneof(
            fc.constantFrom('Q', 'A', 'B', 'Nope', ''),
            oddString,
            fc.integer(),
          ),
          extensions: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: ['query'] },
      )
      .map(jsonText),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(jsonText) },
  {
    weight: 1,
    arbitrary: fc.array(fc.record({ query: documentText }), { maxLength: 3 }).map(jsonText),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '{',
      '{"query":',
      '{"query":"{ __typename }"',
      '{"query":"{ __typename }"}}',
      '{"query":"{ __typename }","variables":{"a":1e400}}',
      '{"query":"{ __typename }","variables":NaN}',
      "{'query':'{ __typename }'}",
      '\ufeff{"query":"{ __typename }"}',
      '{"query":"\\ud800"}',
      '{"query":"\\u0000"}',
      '{"__proto__":{"query":"{ __typename }"}}',
      '{"query":"{ __typename }","query":"{ devices { pageInfo { hasNextPage } } }"}',
    ),
  },
  { weight: 1, arbitrary: oddString },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
);

export const rawRequest: fc.Arbitrary<RawRequest> = fc
  .record({
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant<RawRequest['method']>('POST') },
      { weight: 2, arbitrary: fc.constant<RawRequest['method']>('GET') },
      {
        weight: 1,
        arbitrary: fc.constantFrom<RawRequest['method']>('PUT', 'DELETE', 'OPTIONS', 'PATCH'),
      },
    ),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant<string | undefined>('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          undefined,
          'application/json; charset=utf-8',
          'application/json; charset=latin1',
          'application/graphql',
          'application/graphql+json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'APPLICATION/JSON',
        ),
      },
    ),
    accept: fc.constantFrom(
      undefined,
      'application/json',
      'application/graphql-response+json',
      'text/event-stream',
      'multipart/mixed',
      'text/html',
      '*/*',
    ),
    query: fc.tuple(documentText, fc.oneof(fc.constant(''), fc.jsonValue().map(jsonText))),
    body: rawBody,
  })
  .map(({ method, contentType, accept, query: [document, variables], body }) => {
    // A GET carries its operation in the query string, and no body.
    const get = method === 'GET';
    const search = get
      ? `?${new URLSearchParams({ query: document, ...(variables ? { variables } : {}) }).toString()}`
      : '';
    const value: RawRequest = {
      method,
      contentType: get ? undefined : contentType,
      accept,
      search,
      body: get ? undefined : typeof body === 'string' ? Buffer.from(body) : body,
    };
    return printedAs(
      value,
      () =>
        `${method} /graphql${visible(search, 1_000)} [${value.contentType ?? 'no content-type'}, accept ${accept ?? '-'}] ${value.body ? visible(value.body.toString(), 1_000) : ''}`,
    );
  });

/** Sends a raw request; the same judgement as for any other answer. */
export async function sendRaw(app: EmbeddedApp, request: RawRequest): Promise<void> {
  const headers: Record<string, string> = { authorization: `Bearer ${app.adminToken}` };
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  if (request.accept !== undefined) headers.accept = request.accept;
  const abort = new AbortController();
  // A subscription answered as a stream is held open by the server: read a moment, then close.
  const timer = setTimeout(() => abort.abort(), 1_000);
  const where = `raw ${request.method}`;
  try {
    const response = await fetch(`${app.baseUrl}/graphql${request.search}`, {
      method: request.method,
      headers,
      body: request.body ? new Uint8Array(request.body) : undefined,
      signal: abort.signal,
    });
    if (response.status >= 500) {
      throw new Violation(
        `${where}: HTTP ${response.status}`,
        visible(await response.text(), 1_000),
      );
    }
    const type = response.headers.get('content-type') ?? '';
    const text = await response.text();
    // The JSON results: the body, each SSE `data:`, or each part of a multipart/mixed answer.
    const results = type.includes('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data:') && line.slice(5).trim() !== '')
          .map((line) => line.slice(5).trim())
      : type.includes('multipart/mixed')
        ? text.split('\n').filter((line) => line.trimStart().startsWith('{'))
        : type.includes('json')
          ? [text]
          : [];
    for (const result of results) {
      const notJson = `${where}: HTTP ${response.status} ${type} that is not JSON`;
      checkErrors(errorsOf(result, notJson, result), where, 'raw request');
    }
  } catch (error) {
    // Closing a stream that was held open is no failure; a Violation found before it is.
    if (abort.signal.aborted && !(error instanceof Violation)) return;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
