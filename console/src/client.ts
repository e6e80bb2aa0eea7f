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

let socket: Client | undefined;

/** graphql-ws on the API's /graphql, authenticated by connection params (browsers cannot set headers). */
function liveClient(): Client {
  socket ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ Authorization: `Bearer ${currentToken() ?? ''}` }),
    lazy: true,
    retryAttempts: 5,
  });
  return socket;
}

/** Closes the live connection (sign-out). */
export function closeLive(): void {
  void socket?.dispose();
  socket = undefined;
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
