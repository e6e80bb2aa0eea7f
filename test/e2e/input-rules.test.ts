/**
 * The input rules on every GraphQL argument (issue 7, reproductions 2 and 3): a NUL or an
 * unpaired surrogate, as a variable or written inline, is BAD_USER_INPUT naming the variable or
 * argument (it used to reach PostgreSQL and come back as a masked INTERNAL_SERVER_ERROR), and a
 * MetricValue variable of the wrong shape names the variable too.
 */
import { describe, expect, it } from 'vitest';
import { liveClient } from '../support/live-client.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

interface Answer {
  status: number;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function graphql(query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<Answer, 'status'>) };
}

const ID = '00000000-0000-4000-8000-000000000001';
const BAD = { nul: 'a\u0000b', 'lone surrogate': 'a\ud800b' };

/** One string input of each root field that takes one: [field, document, variables]. */
const CASES: [string, string, (text: string) => Record<string, unknown>][] = [
  [
    'registerDevice externalId',
    'mutation ($input: RegisterDeviceInput!) { registerDevice(input: $input) { token } }',
    (text) => ({ input: { externalId: text, name: 'n', type: 't' } }),
  ],
  [
    'registerDevice label value',
    'mutation ($input: RegisterDeviceInput!) { registerDevice(input: $input) { token } }',
    (text) => ({
      input: { externalId: 'x', name: 'n', type: 't', labels: [{ key: 'k', value: text }] },
    }),
  ],
  [
    'updateDevice name',
    'mutation ($id: ID!, $input: UpdateDeviceInput!) { updateDevice(id: $id, input: $input) { id } }',
    (text) => ({ id: ID, input: { name: text } }),
  ],
  [
    'devices search',
    'query ($filter: DeviceFilter) { devices(filter: $filter) { edges { node { id } } } }',
    (text) => ({ filter: { search: text } }),
  ],
  [
    'devices type',
    'query ($filter: DeviceFilter) { devices(filter: $filter) { edges { node { id } } } }',
    (text) => ({ filter: { type: text } }),
  ],
  [
    'createAlertRule string threshold',
    'mutation ($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id } }',
    (text) => ({ input: { name: 'n', metric: 'mode', condition: 'NEQ', threshold: text } }),
  ],
  [
    'updateAlertRule deviceType',
    'mutation ($id: ID!, $input: UpdateAlertRuleInput!) { updateAlertRule(id: $id, input: $input) { id } }',
    (text) => ({ id: ID, input: { deviceType: text } }),
  ],
  [
    'createApiKey name',
    'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
    (text) => ({ input: { name: text, scopes: ['READ_DEVICES'] } }),
  ],
  ['device id', 'query ($id: ID!) { device(id: $id) { id } }', (text) => ({ id: text })],
];

describe('a NUL or an unpaired surrogate in a string input', () => {
  for (const [what, document, variables] of CASES) {
    for (const [kind, text] of Object.entries(BAD)) {
      it(`${what}, ${kind}, as a variable: BAD_USER_INPUT naming the variable`, async () => {
        const answer = await graphql(document, variables(text));
        expect(answer.status).toBeLessThan(500);
        expect(answer.errors).toHaveLength(1);
        expect(answer.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
        expect(answer.errors![0]!.message).toMatch(
          /^Variable "\$\w+"( at "[\w.[\]]+")? must not contain/,
        );
      });
    }
  }

  it('written inline: BAD_USER_INPUT naming the argument and the field inside it', async () => {
    const answer = await graphql(
      'mutation { registerDevice(input: {externalId: "x", name: "n", type: "t", labels: [{key: "k", value: "a\\u0000b"}]}) { token } }',
    );
    expect(answer.errors).toEqual([
      expect.objectContaining({
        message: 'Argument "input" at "labels[0].value" must not contain NUL (U+0000)',
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
  });

  it('leaves ordinary odd text alone: tabs, newlines, emoji and right-to-left text are kept', async () => {
    const text = 'tab\tnew\nline \u{1F525} \u202Eabc';
    const answer = await graphql(
      'mutation ($input: RegisterDeviceInput!) { registerDevice(input: $input) { device { name } } }',
      { input: { externalId: 'odd', name: text, type: 't' } },
    );
    expect(answer.errors).toBeUndefined();
    expect(answer).toMatchObject({ data: { registerDevice: { device: { name: text } } } });
  });
});

describe('a MetricValue variable of the wrong shape', () => {
  for (const [kind, value] of [
    ['a list', [1]],
    ['an object', { a: 1 }],
  ] as const) {
    it(`given ${kind}: BAD_USER_INPUT naming the variable, never a masked error`, async () => {
      const answer = await graphql(
        'mutation ($t: MetricValue!) { createAlertRule(input: {name: "n", metric: "m", condition: EQ, threshold: $t}) { id } }',
        { t: value },
      );
      expect(answer.status).toBeLessThan(500);
      expect(answer.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/^Variable "\$t" got invalid value .*MetricValue must be/),
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
        }),
      ]);
    });
  }
});

describe('a GraphQL body that is not valid UTF-8', () => {
  it('is 400 BAD_REQUEST, not decoded into U+FFFD and stored', async () => {
    const body = Buffer.from(
      JSON.stringify({
        query:
          'mutation { registerDevice(input: {externalId: "cafE", name: "n", type: "t"}) { token } }',
      }),
    );
    body[body.indexOf('E')] = 0xe9; // "é" in Latin-1: not UTF-8
    const response = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'POST body is not valid UTF-8.', extensions: { code: 'BAD_REQUEST' } }],
    });
  });
});

describe('numbers no store can keep, and graphql-js errors that carried no code', () => {
  it('a Float literal too large for a double: BAD_USER_INPUT naming the argument, nothing stored', async () => {
    const answer = await graphql(
      'mutation { registerDevice(input: {externalId: "far", name: "n", type: "t", location: {latitude: 1, longitude: 1, altitude: 1e400}}) { token } }',
    );
    expect(answer.errors).toEqual([
      expect.objectContaining({
        message:
          'Argument "input" at "location.altitude" must be a finite number (at most about 1.8e308)',
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
  });

  it('an altitude beyond low Earth orbit: BAD_USER_INPUT', async () => {
    const answer = await graphql(
      'mutation ($input: RegisterDeviceInput!) { registerDevice(input: $input) { token } }',
      {
        input: {
          externalId: 'high',
          name: 'n',
          type: 't',
          location: { latitude: 1, longitude: 1, altitude: Number.MAX_VALUE },
        },
      },
    );
    expect(answer.errors).toEqual([
      expect.objectContaining({
        message: 'altitude must be within ±1,000,000 metres',
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
  });

  it('a variable graphql-js cannot coerce: BAD_USER_INPUT naming it', async () => {
    const answer = await graphql('query ($first: Int) { alerts(first: $first) { ruleId } }', {
      first: 2 ** 31,
    });
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^Variable "\$first" got invalid value 2147483648/),
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
  });

  it('a syntax error over graphql-ws: GRAPHQL_PARSE_FAILED, as over HTTP', async () => {
    const client = liveClient(app.baseUrl, app.adminToken);
    try {
      const errors = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: 'subscription { telemetry(deviceIds: ["a"]) { ts ' },
          { next: () => undefined, error: resolve, complete: () => resolve(undefined) },
        );
      });
      expect(errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/^Syntax Error/),
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        }),
      ]);
      const overHttp = await graphql('subscription { telemetry(deviceIds: ["a"]) { ts ');
      expect(overHttp.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    } finally {
      await client.dispose();
    }
  });
});
