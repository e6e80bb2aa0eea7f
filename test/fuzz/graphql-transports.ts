/**
 * Sending an operation the ways a client can, each answer judged by checkErrors: queries and
 * mutations over HTTP; subscriptions over SSE or graphql-ws, held open for a moment when they are
 * admitted. Any HTTP answer of 500 or more is a Violation too.
 */
import { liveClient } from '../support/live-client.js';
import { takeSseEvents } from '../support/sse-subscription.js';
import type { EmbeddedApp } from '../support/use-embedded-app.js';
import { Violation } from './fuzz-support.js';
import { visible } from './string-escapes.js';
import { documentFor, type Mode, type Operation } from './graphql-documents.js';
import { checkErrors, errorsOf, recordOutcome } from './graphql-error-checks.js';
import { hintOf } from './graphql-operations.js';
import type { Target } from './graphql-targets.js';

/** How long a subscription that was admitted is held open before it is closed. */
export const SUBSCRIPTION_HOLD_MS = 60;

/** The way a subscription is sent (queries and mutations always go over HTTP). */
export type Transport = 'sse' | 'ws';

/** Sends the target called as `operation`, its arguments given as `mode` says. */
export async function send(
  app: EmbeddedApp,
  target: Target,
  operation: Operation,
  mode: Mode,
  transport: Transport,
): Promise<void> {
  const { query, variables } = documentFor(target, operation, mode);
  const where = `${target.name} (${mode}${target.operation === 'subscription' ? `, ${transport}` : ''})`;
  const hint = hintOf(operation);
  if (target.operation !== 'subscription') return overHttp(app, query, variables, where, hint);
  return transport === 'sse'
    ? overSse(app, query, variables, where, hint)
    : overWebSocket(app, query, variables, where, hint);
}

/** POSTs the document; `variables` is JSON text, sent as generated. */
function postOperation(
  app: EmbeddedApp,
  query: string,
  variables: string,
  accept: string,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept,
      authorization: `Bearer ${app.adminToken}`,
    },
    body: `{"query":${JSON.stringify(query)},"variables":${variables}}`,
    signal,
  });
}

async function overHttp(
  app: EmbeddedApp,
  query: string,
  variables: string,
  where: string,
  hint: string,
): Promise<void> {
  const accept = 'application/graphql-response+json, application/json';
  const response = await postOperation(app, query, variables, accept);
  await judgeJsonAnswer(response, where, hint);
}

/** An answer that is not a stream: below 500, JSON, and its errors judged by checkErrors. */
async function judgeJsonAnswer(response: Response, where: string, hint: string): Promise<void> {
  const text = await response.text();
  const seen = `${response.status} ${visible(text, 1_000)}`;
  if (response.status >= 500) throw new Violation(`${where}: HTTP ${response.status}`, seen);
  const notJson = `${where}: HTTP ${response.status} with a body that is not JSON`;
  checkErrors(errorsOf(text, notJson, seen), where, hint);
}

/** Over SSE: reads the stream until an error event, the end, or SUBSCRIPTION_HOLD_MS. */
async function overSse(
  app: EmbeddedApp,
  query: string,
  variables: string,
  where: string,
  hint: string,
): Promise<void> {
  const abort = new AbortController();
  const response = await postOperation(app, query, variables, 'text/event-stream', abort.signal);
  try {
    if (
      response.status >= 500 ||
      !response.headers.get('content-type')?.includes('text/event-stream')
    ) {
      // Refused before the stream opened: one JSON answer.
      return await judgeJsonAnswer(response, where, hint);
    }
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const deadline = Date.now() + SUBSCRIPTION_HOLD_MS;
    let buffer = '';
    let events = 0;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const read = reader.read();
      // Closing the stream below rejects a read still pending: that is expected.
      read.catch(() => undefined);
      const chunk = await Promise.race([
        read,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), left)),
      ]);
      if (!chunk || chunk.done) break;
      const taken = takeSseEvents(buffer + decoder.decode(chunk.value, { stream: true }));
      buffer = taken.rest;
      for (const { data } of taken.events) {
        if (!data) continue;
        events++;
        checkErrors((JSON.parse(data) as { errors?: unknown }).errors, where, hint);
      }
    }
    if (events === 0) recordOutcome(where, 'admitted');
  } finally {
    abort.abort();
  }
}

/** Over graphql-ws: the operation's errors, or a close that is not a refusal, are judged. */
async function overWebSocket(
  app: EmbeddedApp,
  query: string,
  variables: string,
  where: string,
  hint: string,
): Promise<void> {
  const client = liveClient(app.baseUrl, app.adminToken);
  try {
    const failure = await new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), SUBSCRIPTION_HOLD_MS);
      client.subscribe(
        { query, variables: JSON.parse(variables) as Record<string, unknown> },
        {
          next: (message) => {
            if (message.errors) {
              clearTimeout(timer);
              resolve(message.errors);
            }
          },
          error: (error) => {
            clearTimeout(timer);
            resolve(error);
          },
          complete: () => {
            clearTimeout(timer);
            resolve(undefined);
          },
        },
      );
    });
    if (failure === undefined) return recordOutcome(where, 'admitted');
    if (Array.isArray(failure)) return checkErrors(failure, where, hint);
    const code = (failure as { code?: unknown }).code;
    const reason = (failure as { reason?: unknown }).reason;
    // 4400 (bad message, e.g. a variable JSON cannot hold), 4403, 4413, 1009 are refusals; 1011
    // and 4500 are the server failing.
    if (typeof code === 'number' && code !== 1011 && code !== 4500) return;
    throw new Violation(
      `${where}: socket closed ${String(code)} ${String(reason)}`,
      visible(String(failure), 500),
    );
  } finally {
    await client.dispose();
  }
}
