/** One result of a GraphQL subscription stream. */
export interface StreamResult {
  data?: unknown;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * The complete events at the start of `text` (each ends with a blank line), with their name and
 * data lines joined, and what is left for the next chunk.
 */
export function takeSseEvents(text: string) {
  const events: { name?: string; data?: string }[] = [];
  let rest = text;
  let boundary;
  while ((boundary = rest.indexOf('\n\n')) >= 0) {
    const lines = rest.slice(0, boundary).split('\n');
    rest = rest.slice(boundary + 2);
    const field = (name: string) =>
      lines
        .filter((line) => line.startsWith(`${name}:`))
        .map((line) => line.slice(name.length + 1).trim());
    const data = field('data');
    events.push({ name: field('event')[0], ...(data.length > 0 ? { data: data.join('\n') } : {}) });
  }
  return { events, rest };
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
        const taken = takeSseEvents(text + chunk);
        text = taken.rest;
        for (const event of taken.events) {
          if (event.name === 'complete') completed = true;
          else if (event.data) results.push(JSON.parse(event.data) as StreamResult);
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
