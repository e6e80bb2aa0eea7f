import DataLoader from 'dataloader';

/**
 * A DataLoader (no cache of its own) whose loads go out together once per turn of the event loop:
 * for round trips each request needs one of (a device lookup, a rate-limit take). Requests arrive
 * in I/O callbacks of their own, so DataLoader's default (the end of the current tick) would
 * batch nothing across them; `setImmediate` runs after every I/O callback of the turn, that is,
 * after the requests that arrived together.
 */
export function batchPerTurn<K, V>(
  load: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  maxBatchSize: number,
): DataLoader<K, V> {
  return new DataLoader<K, V>(load, {
    cache: false,
    maxBatchSize,
    batchScheduleFn: (run) => setImmediate(run),
  });
}
