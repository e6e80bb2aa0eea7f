/** One result of a GraphQL subscription stream. */
export interface StreamResult {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * A subscription over SSE (GraphiQL's transport) on `${baseUrl}/graphql`, as GraphiQL opens it:
 * results gathered as they come, `ended` resolving when the stream ends (with whether the server
 * sent `event: complete`, and when), `close` aborting it from the client's side.
 */
export async function subscribeOverSse(
  baseUrl: string,
  token: string,
  request: { query: string; variables?: Record<string, unknown> },
) {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify(request),
    signal: abort.signal,
  });
  const results: StreamResult[] = [];
  const ended = (async () => {
    let text = '';
    let completed = false;
    try {
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        text += chunk;
        let boundary;
        while ((boundary = text.indexOf('\n\n')) >= 0) {
          const event = text.slice(0, boundary);
          text = text.slice(boundary + 2);
          const data = /^data: ?(.*)$/m.exec(event)?.[1];
          if (/^event: complete$/m.test(event)) completed = true;
          else if (data) results.push(JSON.parse(data) as StreamResult);
        }
      }
    } catch {
      // Aborted by the test, or the server went away: the stream did not complete.
    }
    return { at: Date.now(), completed };
  })();
  return {
    status: response.status,
    results,
    ended,
    /** Results that carry data (events), not errors. */
    received: () => results.filter((result) => result.data).length,
    close: () => abort.abort(),
  };
}
