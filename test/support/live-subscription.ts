import { print, type DocumentNode } from 'graphql';
import { eventually } from './graphql-client.js';
import { liveClient } from './live-client.js';

/** A graphql-ws subscription's events as they arrive, and the errors it met. */
export interface LiveSubscription<Event> {
  received: Event[];
  errors: unknown[];
  close(): Promise<void>;
}

/**
 * Subscribes as the bearer of `token` and collects each event (`pick` takes it out of the
 * result's data). A refusal before streaming (a list of GraphQL errors) lands in `errors`.
 */
export function subscribeLive<Event>(
  baseUrl: string,
  token: string,
  operation: { document: DocumentNode; variables?: Record<string, unknown> },
  pick: (data: unknown) => Event,
): LiveSubscription<Event> {
  const client = liveClient(baseUrl, token);
  const received: Event[] = [];
  const errors: unknown[] = [];
  client.subscribe(
    { query: print(operation.document), variables: operation.variables },
    {
      next: (result) => {
        if (result.data) received.push(pick(result.data));
        if (result.errors) errors.push(...result.errors);
      },
      error: (error) => errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => undefined,
    },
  );
  return { received, errors, close: async () => client.dispose() };
}

/**
 * Waits until a subscription is live: graphql-ws does not acknowledge one, and an event raised
 * before it is missed for good. `poke` makes an event the subscription would receive (a canary's
 * point, a toggled rule) and `arrived` says whether one did; poked until then.
 */
export async function untilLive<Event>(
  subscription: LiveSubscription<Event>,
  poke: () => Promise<void>,
  arrived: (event: Event) => boolean,
  what = 'the subscription to be live',
  timeoutMs = 15_000,
) {
  await eventually(
    async () => {
      await poke();
      return subscription.received.some(arrived) ? true : undefined;
    },
    timeoutMs,
    what,
  );
}
