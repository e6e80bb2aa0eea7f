import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './generated/graphql';
import { currentToken } from './session';

/** An error the API answered, in its own words, with its `extensions.code` when it gave one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

function failure(errors: NonNullable<GraphQLAnswer<unknown>['errors']>): ApiError {
  return new ApiError(errors.map((error) => error.message).join('; '), errors[0]?.extensions?.code);
}

/** One query or mutation over HTTP, as any third-party client sends it. */
export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${currentToken() ?? ''}`,
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch {
    throw new ApiError('the API cannot be reached', 'NETWORK');
  }
  const answer = (await response.json().catch(() => null)) as GraphQLAnswer<TResult> | null;
  if (answer?.errors?.length) throw failure(answer.errors);
  if (!response.ok || !answer?.data) {
    throw new ApiError(`the API answered HTTP ${response.status}`, `HTTP_${response.status}`);
  }
  return answer.data;
}

/** Queries started before the view that needs them mounts; see `prefetch`. */
const prefetched = new Map<string, Promise<unknown>>();
const queryKey = (document: { toString(): string }, variables: unknown) =>
  `${currentToken() ?? ''}\n${document.toString()}\n${JSON.stringify(variables)}`;

/**
 * Starts a query now, beside the sign-in check, rather than one round trip later when its view
 * mounts: the view's first `query` of the same document and variables takes this answer.
 */
export function prefetch<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): void {
  const key = queryKey(document, variables);
  if (prefetched.has(key)) return;
  const answer = request(document, variables);
  // Whoever takes it sees the failure; until then it is not an unhandled rejection.
  answer.catch(() => {});
  prefetched.set(key, answer);
}

/** A query: its prefetched answer when there is one (once), else a request. */
export function query<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const key = queryKey(document, variables);
  const early = prefetched.get(key) as Promise<TResult> | undefined;
  prefetched.delete(key);
  return early ?? request(document, variables);
}

let socket: Client | undefined;

/**
 * graphql-ws on the API's /graphql, authenticated by connection params (browsers cannot set
 * headers). Connected from sign-in on (not lazily at the first subscription): every view but
 * administration is live, and the handshake then overlaps the first queries. A failure to
 * connect reaches each subscription's `onError`.
 */
function liveClient(): Client {
  socket ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ Authorization: `Bearer ${currentToken() ?? ''}` }),
    lazy: false,
    onNonLazyError: () => {},
    retryAttempts: 5,
  });
  return socket;
}

/** Opens the live connection now (at sign-in). */
export function openLive(): void {
  liveClient();
}

/** Sign-out: closes the live connection and drops what was fetched for the session. */
export function closeSession(): void {
  void socket?.dispose();
  socket = undefined;
  prefetched.clear();
}

/** A subscription: `onData` per event, `onError` with the API's words; returns the unsubscribe. */
export function subscribe<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  onData: (data: TResult) => void,
  onError: (error: ApiError) => void,
): () => void {
  return liveClient().subscribe<TResult>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next: (answer) => {
        if (answer.errors?.length) onError(failure(answer.errors as never));
        else if (answer.data) onData(answer.data);
      },
      error: (error) =>
        onError(
          Array.isArray(error)
            ? failure(error as never)
            : new ApiError(
                error instanceof CloseEvent
                  ? `the live connection closed (${error.code}${error.reason ? `: ${error.reason}` : ''})`
                  : 'the live connection failed',
                'LIVE',
              ),
        ),
      complete: () => {},
    },
  );
}
