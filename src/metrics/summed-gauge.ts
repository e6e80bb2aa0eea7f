import { Gauge } from 'prom-client';

/**
 * A gauge that is the sum of what its sources hold now (open MQTT connections of every
 * listener set, say), read at scrape time: nothing to keep in step on the hot path, and a source
 * that is closed stops counting when it is untracked.
 */
export function createSummedGauge(name: string, help: string) {
  const sources = new Set<() => number>();
  new Gauge({
    name,
    help,
    collect() {
      let total = 0;
      for (const source of sources) total += source();
      this.set(total);
    },
  });
  return {
    /** Counts `source` until the function returned is called. */
    track(source: () => number): () => void {
      sources.add(source);
      return () => sources.delete(source);
    },
  };
}
