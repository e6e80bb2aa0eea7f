/**
 * GraphQL with plain documents (not the generated ones) as the embedded app's admin: for tests
 * that ask what a dashboard would, and check the answers and refusals as a client sees them.
 */
import { eventually, postTelemetry } from './graphql-client.js';

export type PlainPoint = { ts: number; metrics: Record<string, number | boolean | string> };

export interface PlainAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

export function plainGraphQL(app: { readonly baseUrl: string; readonly adminToken: string }) {
  async function query<T>(document: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
      body: JSON.stringify({ query: document, variables }),
    });
    return (await response.json()) as PlainAnswer<T>;
  }

  /** The answer's data; throws with the errors when there are any. */
  async function data<T>(document: string, variables: Record<string, unknown> = {}) {
    const answer = await query<T>(document, variables);
    if (answer.errors?.length || !answer.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
    }
    return answer.data;
  }

  /** The first error's code, argument and message; throws when there is none. */
  async function refusal(document: string, variables: Record<string, unknown> = {}) {
    const answer = await query(document, variables);
    const [error] = answer.errors ?? [];
    if (!error) throw new Error(`expected a refusal, got ${JSON.stringify(answer)}`);
    return { code: error.extensions?.code, field: error.extensions?.field, message: error.message };
  }

  /** Registers a device as the admin: its id and its token. */
  async function register(
    externalId: string,
    type = 'sensor',
    labels: Record<string, string> = {},
  ) {
    const registered = await data<{ registerDevice: { token: string; device: { id: string } } }>(
      `mutation ($input: RegisterDeviceInput!) {
        registerDevice(input: $input) { token device { id } }
      }`,
      {
        input: {
          externalId,
          name: externalId,
          type,
          labels: Object.entries(labels).map(([key, value]) => ({ key, value })),
        },
      },
    );
    return { id: registered.registerDevice.device.id, token: registered.registerDevice.token };
  }

  /** Posts the points as NDJSON and waits until every one of them can be read back. */
  async function sendAndWait(device: { id: string; token: string }, points: PlainPoint[]) {
    const body = points.map((point) => JSON.stringify(point)).join('\n');
    const posted = await postTelemetry(app.baseUrl, device.token, body, 'application/x-ndjson');
    if (posted.status !== 202) {
      throw new Error(`ingest answered ${posted.status}: ${JSON.stringify(posted.body)}`);
    }
    const times = new Set(points.map((point) => point.ts));
    await eventually(
      async () => {
        const read = await data<{
          device: { rawTelemetry: { edges: { node: { ts: string } }[] } };
        }>(
          `query ($id: ID!) {
            device(id: $id) {
              rawTelemetry(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", first: 1000) {
                edges { node { ts } }
              }
            }
          }`,
          { id: device.id },
        );
        const stored = new Set(read.device.rawTelemetry.edges.map((e) => Date.parse(e.node.ts)));
        return [...times].every((ts) => stored.has(ts)) ? true : undefined;
      },
      10_000,
      `${points.length} points stored`,
    );
  }

  return { query, data, refusal, register, sendAndWait };
}
