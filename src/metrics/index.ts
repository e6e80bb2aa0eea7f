/**
 * Every metric the processes export, in one place: loading this module registers all of them, so
 * a reader (the Grafana dashboards' test, docs) sees the same names a scrape of any process can.
 */
import './auth-metrics.js';
import { createGraphQLMetricsPlugin } from './graphql-metrics.js';
import './http-metrics.js';
import './ingest-metrics.js';
import './live-metrics.js';
import './pipeline-metrics.js';
import { collectProcessMetrics, metricsRegistry } from './registry.js';

/** The names of every metric family the processes can export (Node's process metrics included). */
export async function exportedMetricNames(): Promise<string[]> {
  createGraphQLMetricsPlugin();
  collectProcessMetrics();
  const families = await metricsRegistry.getMetricsAsJSON();
  return families.map((family) => family.name).sort();
}
