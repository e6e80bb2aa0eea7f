import { Repeater, SlidingBuffer } from '@repeaterjs/repeater';
import type { GraphQLContext } from '../schema/context.js';
import type { TelemetryPoint } from '../domain/telemetry.js';
import { badUserInput, notFound } from './errors.js';

const MAX_DEVICES_PER_SUBSCRIPTION = 100;
/** A slow dashboard loses its oldest pending events rather than growing the server's memory. */
const PENDING_EVENTS_PER_SUBSCRIBER = 1_024;

/**
 * A subscription's stream of the live hub events `listen` pushes: it listens from the first read
 * until the stream ends, then calls what `listen` returned to stop.
 */
export function liveStream<T>(
  listen: (push: (event: T) => void) => Promise<() => void>,
): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    const unlisten = await listen((event) => void push(event));
    await stop;
    unlisten();
  }, new SlidingBuffer(PENDING_EVENTS_PER_SUBSCRIBER));
}

/**
 * Checks every device before the stream starts (an unknown or foreign id fails the subscription
 * with NOT_FOUND, like a query would), then streams the live hub's points for those devices.
 */
export async function subscribeTelemetry(
  context: GraphQLContext,
  deviceIds: readonly string[],
): Promise<AsyncIterable<TelemetryPoint>> {
  const ids = [...new Set(deviceIds)];
  if (ids.length === 0 || ids.length > MAX_DEVICES_PER_SUBSCRIPTION) {
    throw badUserInput(
      `deviceIds must name 1 to ${MAX_DEVICES_PER_SUBSCRIPTION} devices`,
      'deviceIds',
    );
  }
  const devices = await context.loaders.device.loadMany(ids);
  devices.forEach((device, index) => {
    if (!device || device instanceof Error) throw notFound(`device ${ids[index]}`);
  });
  const { organizationId } = context.viewer;
  return liveStream<TelemetryPoint>(async (push) => {
    const unsubscribes = await Promise.all(
      ids.map((id) => context.services.live.subscribe(organizationId, id, push)),
    );
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  });
}
