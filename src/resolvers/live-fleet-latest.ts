import { Repeater } from '@repeaterjs/repeater';
import type { GraphQLContext } from '../schema/context.js';
import type { DeviceFilterInput } from './devices.js';
import { durationArgument } from './duration-argument.js';
import { openFleet } from './fleet.js';
import { fleetLatest, type FleetLatestArgs } from './fleet-latest.js';

/** `every`'s bounds: a fleet aggregate reads every device's newest values, so not faster than 1 s. */
const MIN_EVERY_MS = 1_000;
const MAX_EVERY_MS = 3_600_000;

export interface LiveFleetLatestArgs extends FleetLatestArgs {
  filter?: DeviceFilterInput | null;
  every?: string | null;
}

export interface FleetLatestUpdate {
  /** When the answer was computed. */
  at: Date;
  groups: Awaited<ReturnType<typeof fleetLatest>>;
}

/**
 * `Fleet.latest` asked again every `every`, its answer pushed each time: the live "total power per
 * site". The first answer is computed before streaming, so a bad argument fails the subscription
 * at once like the query would. Each later answer reads the fleet afresh (devices registered since
 * that match are counted). Subscribers with the same arguments share one of these streams (the
 * live fan-out), so it is computed once per distinct subscription, not once per subscriber.
 */
export async function subscribeFleetLatest(
  context: GraphQLContext,
  args: LiveFleetLatestArgs,
): Promise<AsyncIterable<FleetLatestUpdate>> {
  const everyMs = durationArgument(args.every ?? '5s', 'every', {
    minMs: MIN_EVERY_MS,
    maxMs: MAX_EVERY_MS,
    takes: 'from 1s to 1h, like 1s, 10s or 1m',
  });
  const answer = async (): Promise<FleetLatestUpdate> => {
    // The request's loaders would answer every tick with the first tick's values.
    context.loaders.latest.clearAll();
    context.loaders.device.clearAll();
    const groups = await fleetLatest(context, openFleet(context, args.filter), args);
    return { at: new Date(), groups };
  };
  const first = await answer();
  return new Repeater<FleetLatestUpdate>(async (push, stop) => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    void stop.then(() => {
      stopped = true;
      clearTimeout(timer);
      wake?.();
    });
    let next: FleetLatestUpdate | undefined = first;
    while (!stopped) {
      if (next) await push(next);
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, everyMs);
      });
      if (stopped) break;
      // A failed read (the store briefly away) skips one tick; the next one tries again.
      next = await answer().catch(() => undefined);
    }
  });
}
