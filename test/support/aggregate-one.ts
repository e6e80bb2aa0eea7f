import type { AggregateQuery, Bucket } from '../../src/domain/telemetry.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';

/** One device's buckets, through the store's batched aggregateDevices (what the API calls). */
export async function aggregateOne(
  store: Pick<TelemetryStore, 'aggregateDevices'>,
  query: AggregateQuery,
): Promise<Bucket[]> {
  const { deviceId, ...rest } = query;
  return (await store.aggregateDevices({ ...rest, deviceIds: [deviceId] })).get(deviceId) ?? [];
}
