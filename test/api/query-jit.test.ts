/**
 * Queries run on graphql-jit once their document has been seen (src/api/query-jit.ts): the first
 * execution of a document is graphql-js, the later ones compiled, and an answer with an error is
 * computed again by graphql-js. Whatever the path, clients get the same bytes: data, scope-auth
 * refusals (FORBIDDEN), our coded errors, masked unexpected errors with their paths and
 * locations, refused variables (400), fragments and directives.
 */
import { execute as graphqlExecute, parse, type DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MetadataDatabase } from '../../src/ports/database.js';
import { createPgliteDatabase } from '../../src/adapters/prisma/pglite.js';
import { createInProcessLiveHub } from '../../src/adapters/live-hub/in-process-live-hub.js';
import { createDuckDbTelemetryStore } from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import type { ApiServices } from '../../src/schema/context.js';
import { createQueryJitPlugin } from '../../src/api/query-jit.js';
import { schema } from '../../src/schema/index.js';
import { createInProcessApi } from '../support/in-process-api.js';

/** Executions of compiled queries: proof that the handler's requests did run on graphql-jit. */
const jit = vi.hoisted(() => ({ runs: 0 }));
vi.mock('graphql-jit', async (importOriginal) => {
  const actual = await importOriginal<typeof import('graphql-jit')>();
  return {
    ...actual,
    compileQuery: (...args: Parameters<typeof actual.compileQuery>) => {
      const compiled = actual.compileQuery(...args);
      if ('query' in compiled) {
        const { query } = compiled;
        compiled.query = (...run: Parameters<typeof query>) => (jit.runs++, query(...run));
      }
      return compiled;
    },
  };
});

const ORG = 'org-query-jit';
let services: ApiServices;
let api: ReturnType<typeof createInProcessApi>;
let viewerToken: string;
let ids: string[] = [];
/** Device ids whose latest values fail with an internal error (masked to clients). */
const failing = new Set<string>();

/** Closed once, after the services that use it. */
let repositories: MetadataDatabase | undefined;

beforeAll(async () => {
  repositories = await createPgliteDatabase();
  const telemetry = await createDuckDbTelemetryStore({ path: ':memory:' });
  services = {
    devices: repositories.devices,
    telemetry: {
      ...telemetry,
      latest: async (organizationId, deviceIds) => {
        if (deviceIds.some((id) => failing.has(id))) throw new Error('disk on fire');
        return telemetry.latest(organizationId, deviceIds);
      },
    },
    live: createInProcessLiveHub(),
    apiKeys: repositories.apiKeys,
    alerts: repositories.alerts,
    notifications: repositories.notifications,
  };
  await services.devices.ensureOrganization(ORG, ORG);
  for (let i = 0; i < 5; i++) {
    const device = await services.devices.createDevice(
      {
        organizationId: ORG,
        externalId: `d-${i}`,
        name: `Device ${i}`,
        type: 't',
        labels: { floor: String(i) },
      },
      `hash-${i}-${Math.random()}`,
    );
    ids.push(device.id);
  }
  ids = ids.sort();
  await telemetry.write(
    ids.map((deviceId, i) => ({
      orgId: ORG,
      deviceId,
      ts: Date.UTC(2026, 0, 1) + i,
      metrics: { temperature: i + 0.5, on: i % 2 === 0, mode: `m${i}` },
    })),
  );
  api = createInProcessApi(services);
  viewerToken = await api.token(ORG, 'viewer');
}, 120_000);

afterAll(async () => {
  await services?.telemetry.close();
  await repositories?.close();
});

async function post(body: object) {
  return api.post(viewerToken, body);
}

/** The same request three times: graphql-js first, then the compiled query. */
async function sameEveryTime(body: object) {
  const runsBefore = jit.runs;
  const answers = [await post(body), await post(body), await post(body)];
  // The second and third went through graphql-jit (else the comparisons prove nothing).
  expect(jit.runs - runsBefore).toBe(2);
  expect(answers[1]).toEqual(answers[0]);
  expect(answers[2]).toEqual(answers[0]);
  // Answers of several shapes, each checked field by field below.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json = JSON.parse(answers[0]!.text) as Record<string, any>;
  return { status: answers[0]!.status, json };
}

describe('queries on graphql-jit', () => {
  it('answers a page with nested latest values, fragments and variables identically', async () => {
    const { json } = await sameEveryTime({
      query: `query Page($first: Int, $withLabels: Boolean!) {
        devices(first: $first) { edges { cursor node { ...Fields } } pageInfo { hasNextPage endCursor } }
      }
      fragment Fields on Device {
        id name status labels @include(if: $withLabels) { key value }
        latest { metric value ts }
      }`,
      variables: { first: 3, withLabels: true },
    });
    expect(json.errors).toBeUndefined();
    expect(json.data.devices.edges).toHaveLength(3);
    expect(json.data.devices.edges[0].node).toEqual({
      id: ids[0],
      name: expect.stringMatching(/^Device \d$/),
      status: 'ACTIVE',
      labels: [{ key: 'floor', value: expect.any(String) }],
      latest: expect.arrayContaining([
        { metric: 'temperature', value: expect.any(Number), ts: expect.any(String) },
        { metric: 'on', value: expect.any(Boolean), ts: expect.any(String) },
      ]),
    });
    expect(json.data.devices.pageInfo.hasNextPage).toBe(true);
  });

  it("refuses a field outside the caller's scopes with FORBIDDEN, identically", async () => {
    const { json } = await sameEveryTime({ query: '{ apiKeys { id } }' });
    expect(json.errors).toEqual([
      expect.objectContaining({
        message: 'not allowed for this caller',
        extensions: { code: 'FORBIDDEN' },
        path: ['apiKeys'],
      }),
    ]);
  });

  it('answers coded resolver errors with their code, path and locations, identically', async () => {
    const missing = await sameEveryTime({
      query: '{ device(id: "00000000-0000-4000-8000-000000000000") { id } }',
    });
    expect(missing.json).toEqual({
      errors: [
        {
          message: 'device 00000000-0000-4000-8000-000000000000 not found',
          locations: [{ line: 1, column: 3 }],
          path: ['device'],
          extensions: { code: 'NOT_FOUND' },
        },
      ],
      data: null,
    });
    const backwards = await sameEveryTime({
      query: `query ($id: ID!) { device(id: $id) { id telemetry(metrics: ["temperature"], from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z", every: "1h") { start } } }`,
      variables: { id: ids[0] },
    });
    expect(backwards.json.errors).toEqual([
      expect.objectContaining({
        message: 'from must be before to',
        extensions: { code: 'BAD_USER_INPUT', field: 'from' },
        path: ['device', 'telemetry'],
      }),
    ]);
  });

  it('masks an internal error as "Unexpected error.", identically', async () => {
    failing.add(ids[1]!);
    try {
      const { json } = await sameEveryTime({
        query: `query ($id: ID!) { device(id: $id) { id latest { metric } } }`,
        variables: { id: ids[1] },
      });
      expect(json).toEqual({
        data: null,
        errors: [
          expect.objectContaining({
            message: 'Unexpected error.',
            path: ['device', 'latest'],
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          }),
        ],
      });
      expect(JSON.stringify(json)).not.toContain('disk on fire');
    } finally {
      failing.clear();
    }
  });

  it('refuses invalid variables the same way', async () => {
    const { status, json } = await sameEveryTime({
      query: 'query ($first: Int) { devices(first: $first) { edges { node { id } } } }',
      variables: { first: 'many' },
    });
    expect(status).toBe(400);
    expect(json.errors?.[0]?.message).toMatch(/^Variable "\$first" got invalid value "many"/);
  });
});

describe('the JIT plugin', () => {
  type Payload = Parameters<NonNullable<ReturnType<typeof createQueryJitPlugin>['onExecute']>>[0];

  /** Runs the plugin's onExecute as envelop would; returns what execution ends up calling. */
  async function execute(plugin: ReturnType<typeof createQueryJitPlugin>, source: string) {
    const used: string[] = [];
    const args = {
      schema,
      document: documents.get(source) ?? documents.set(source, parse(source)).get(source)!,
      contextValue: { viewer: { permissions: new Set(['devices:read']) } },
      variableValues: {},
    };
    let run = (execution: typeof args) => {
      used.push('graphql-js');
      return graphqlExecute(execution);
    };
    const original = run;
    void plugin.onExecute!({
      args,
      executeFn: original,
      setExecuteFn: (fn: typeof run) => {
        run = (execution) => (used.push('jit'), fn(execution));
      },
    } as unknown as Payload);
    const result = await run(args);
    return { used, result };
  }
  const documents = new Map<string, DocumentNode>();

  it('runs a document on graphql-js first, compiled from its second execution on', async () => {
    const plugin = createQueryJitPlugin();
    expect((await execute(plugin, '{ __typename }')).used).toEqual(['graphql-js']);
    const second = await execute(plugin, '{ __typename }');
    expect(second.used).toEqual(['jit']);
    expect(second.result).toEqual({ data: { __typename: 'Query' } });
  });

  it('hands any answer with an error to graphql-js', async () => {
    const plugin = createQueryJitPlugin();
    await execute(plugin, '{ apiKeys { id } }');
    const { used, result } = await execute(plugin, '{ apiKeys { id } }');
    expect(used).toEqual(['jit', 'graphql-js']);
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      data: null,
      errors: [
        {
          message: 'not allowed for this caller',
          locations: [{ line: 1, column: 3 }],
          path: ['apiKeys'],
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    });
  });

  it('never compiles a mutation', async () => {
    const plugin = createQueryJitPlugin();
    const mutation = 'mutation { disableDevice(id: "x") { id } }';
    await execute(plugin, mutation);
    expect((await execute(plugin, mutation)).used).toEqual(['graphql-js']);
  });
});
