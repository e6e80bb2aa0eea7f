import { collectDefaultMetrics, register } from 'prom-client';

/**
 * The process's metrics: prom-client's global registry, which every metric of src/metrics/
 * registers on when its module is loaded (one process serves one product, so one registry; the
 * tests' several in-process apps share the counts, and assert on processes of their own).
 */
export const metricsRegistry = register;

let collectingProcessMetrics = false;

/** Node's own (CPU, memory, event loop lag, GC, handles), once per process. */
export function collectProcessMetrics() {
  if (collectingProcessMetrics) return;
  collectingProcessMetrics = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

/** Latency buckets, in seconds, for everything from a cached read to a slow store write. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
