import { Repeater, SlidingBuffer } from '@repeaterjs/repeater';
import type { GraphQLContext } from '../api/context.js';
import type { TelemetryPoint } from '../domain/telemetry.js';
import { badUserInput, notFound } from './errors.js';

const MAX_DEVICES_PER_SUBSCRIPTION = 100;
/** A slow dashboard loses its oldest pending points rather than growing the server's memory. */
const PENDING_POINTS_PER_SUBSCRIBER = 1_024;

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
  return new Repeater<TelemetryPoint>(async (push, stop) => {
    const unsubscribes = await Promise.all(
      ids.map((id) =>
        context.services.live.subscribe(organizationId, id, (point) => void push(point)),
      ),
    );
    await stop;
    for (const unsubscribe of unsubscribes) unsubscribe();
  }, new SlidingBuffer(PENDING_POINTS_PER_SUBSCRIBER));
}
