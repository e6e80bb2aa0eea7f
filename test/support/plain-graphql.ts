/**
 * GraphQL with plain documents (not the generated ones) as the embedded app's admin: for tests
 * that ask what a dashboard would, and check the answers and refusals as a client sees them.
 */
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

  return { query, data, refusal };
}
